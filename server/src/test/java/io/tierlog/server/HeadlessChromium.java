package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's headless Chromium driven over the DevTools protocol (a WebSocket from the JDK, no WebDriver): open a
 * page, evaluate JavaScript, wait for DOM conditions with a bound, take screenshots. Every JavaScript error the page
 * reports (uncaught exceptions, rejected promises, {@code console.error}, failed loads) is collected in
 * {@link #errors()}, and every URL it requests in {@link #requests()}.
 *
 * <p>The browser tests run wherever the suite runs: a missing Chromium fails them with a message saying how to install
 * it. Only {@code -Dtierlog.browser.tests=false} skips them (CI does not set it).
 */
final class HeadlessChromium implements AutoCloseable {
    static final String SWITCH = "tierlog.browser.tests";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();
    private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile TokenGate gate;

    private HeadlessChromium(Process process, WebSocket socket) {
        this.process = process;
        this.socket = socket;
    }

    /** The Chromium binary: {@code -Dtierlog.chromium}, else Debian's (or another usual) name on the PATH. */
    static Path binary() {
        String configured = System.getProperty("tierlog.chromium");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** Starts a browser with a fresh profile under {@code dir}, at a 1280x800 viewport. */
    static HeadlessChromium launch(Path dir) throws IOException, InterruptedException {
        Assumptions.assumeFalse("false".equalsIgnoreCase(System.getProperty(SWITCH)),
                "browser tests disabled by -D" + SWITCH + "=false");
        Path bin = binary();
        if (bin == null || !Files.isExecutable(bin)) {
            throw new AssertionError("Chromium is needed for the console's browser tests and was not found"
                    + (bin == null ? " on the PATH" : " at " + bin) + ". Install Debian's packages (apt-get install chromium"
                    + " chromium-driver; .ci/run does), or point -Dtierlog.chromium at a binary; -D" + SWITCH
                    + "=false skips these tests.");
        }
        Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
        Process p = new ProcessBuilder(bin.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "--window-size=1280,800", "about:blank")
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(portFile) || Files.readAllLines(portFile).size() < 2) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("Chromium did not open its DevTools port within 30 s (exit "
                            + (p.isAlive() ? "none" : p.exitValue()) + "); its log: "
                            + Files.readString(dir.resolve("chromium.log")));
                }
                Thread.sleep(20); // polling for the file Chromium writes once it listens
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
            HttpClient http = HttpClient.newHttpClient();
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body());
            String ws = null;
            for (JsonNode t : targets) {
                if ("page".equals(t.path("type").asText())) {
                    ws = t.get("webSocketDebuggerUrl").asText();
                    break;
                }
            }
            if (ws == null) {
                throw new AssertionError("Chromium has no page target: " + targets);
            }
            Listener listener = new Listener();
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws), listener).get(30, TimeUnit.SECONDS);
            HeadlessChromium c = new HeadlessChromium(p, socket);
            listener.owner = c;
            c.call("Runtime.enable", Map.of());
            c.call("Log.enable", Map.of());
            c.call("Page.enable", Map.of());
            c.call("Network.enable", Map.of());
            c.viewport(1280, 800, false);
            return c;
        } catch (Exception | AssertionError e) {
            p.destroyForcibly();
            if (e instanceof AssertionError a) {
                throw a;
            }
            throw new IOException("cannot start Chromium: " + e, e);
        }
    }

    /** JavaScript errors seen since the last {@link #clearLogs()}. */
    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    /** URLs requested since the last {@link #clearLogs()}. */
    List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clearLogs() {
        errors.clear();
        requests.clear();
    }

    /** One DevTools call; its result, or an AssertionError with the protocol's error. */
    JsonNode call(String method, Map<String, ?> params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        calls.put(id, f);
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", JSON.valueToTree(params));
        try {
            synchronized (socket) {
                socket.sendText(msg.toString(), true).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            JsonNode answer = f.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (answer.has("error")) {
                throw new AssertionError(method + " failed: " + answer.get("error"));
            }
            return answer.path("result");
        } catch (Exception e) {
            throw new AssertionError(method + " did not answer: " + e, e);
        } finally {
            calls.remove(id);
        }
    }

    void viewport(int width, int height, boolean mobile) {
        call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height, "deviceScaleFactor", 1,
                "mobile", mobile));
    }

    /** Loads {@code url} from scratch (through about:blank, so a hash-only change is a full load too). */
    void open(String url) {
        call("Page.navigate", Map.of("url", "about:blank"));
        waitFor("location.href === 'about:blank' && document.readyState === 'complete'", Duration.ofSeconds(10));
        call("Page.navigate", Map.of("url", url));
        waitFor("location.href === " + JSON.valueToTree(url) + " && document.readyState === 'complete'", Duration.ofSeconds(10));
    }

    /** Evaluates an expression (awaiting a promise) and returns its value as JSON; a thrown error fails the test. */
    JsonNode eval(String expression) {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError("JavaScript failed: " + expression + " -> " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    String text(String selector) {
        return eval("document.querySelector(" + JSON.valueToTree(selector) + ")?.textContent ?? null").asText(null);
    }

    /**
     * Polls {@code expression} until it is truthy, for at most {@code timeout}; returns its value. The only wait the
     * browser tests use: on a DOM condition, with a bound, never a fixed sleep.
     */
    JsonNode waitFor(String expression, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (true) {
            JsonNode r = call("Runtime.evaluate", Map.of("expression", "(() => { try { return (" + expression
                    + "); } catch (e) { return null; } })()", "returnByValue", true));
            last = r.path("result").path("value");
            if (!last.isMissingNode() && !last.isNull() && !(last.isBoolean() && !last.asBoolean())
                    && !(last.isNumber() && last.asDouble() == 0) && !(last.isTextual() && last.asText().isEmpty())) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toMillis() + " ms for: " + expression + " (last value " + last
                        + "; JavaScript errors " + errors() + ")");
            }
            try {
                Thread.sleep(10); // the polling interval of the bounded wait above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    void click(String selector) {
        eval("(() => { const el = document.querySelector(" + JSON.valueToTree(selector) + "); if (!el) throw new Error('no "
                + selector.replace("'", "\\'") + "'); el.click(); return true; })()");
    }

    /** Empties an input, focuses it and types into it as a user would (input events included). */
    void type(String selector, String text) {
        eval("(() => { const el = document.querySelector(" + JSON.valueToTree(selector) + "); el.focus(); el.value = ''; return true; })()");
        call("Input.insertText", Map.of("text", text));
    }

    /**
     * Until the returned handle is closed, every page loaded measures from its very start the longest gap between
     * two zero-delay timer ticks: how long the page could not answer a click or a key. Read it with
     * {@link #longestStallMs()}, start a new measurement with {@link #resetStall()}.
     */
    AutoCloseable measureStalls() {
        String id = call("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
                "(() => { let last = performance.now(); window.__stall = { max: 0, reset() { this.max = 0; last = performance.now(); } };"
                        + " (function tick() { const now = performance.now(); window.__stall.max = Math.max(window.__stall.max, now - last);"
                        + " last = now; setTimeout(tick, 0); })(); })()")).get("identifier").asText();
        return () -> call("Page.removeScriptToEvaluateOnNewDocument", Map.of("identifier", id));
    }

    /** The longest stall since the page loaded or {@link #resetStall()}, once the tasks queued so far have run. */
    long longestStallMs() {
        return eval("new Promise(done => setTimeout(() => done(Math.round(window.__stall.max)), 20))").asLong();
    }

    void resetStall() {
        eval("window.__stall.reset(), true");
    }

    /**
     * Until closed, the page's requests under {@code origin + "/v1/"} need {@code Authorization: Bearer <token>}: the
     * browser answers those without it itself, as the server's bearer-token authentication does (401, a JSON body in
     * the API's shape, {@code WWW-Authenticate: Bearer}), and lets the others through to the server. It stands in for
     * the server's authentication, which does not exist yet, to test the console's side of it.
     */
    TokenGate requireToken(String origin, String token) {
        TokenGate g = new TokenGate(token);
        gate = g;
        call("Fetch.enable", Map.of("patterns", List.of(Map.of("urlPattern", origin + "/v1/*", "requestStage", "Request"))));
        return g;
    }

    /** What {@link #requireToken} saw: every request it checked, in order, with whether it carried the token. */
    final class TokenGate implements AutoCloseable {
        private final String token;
        private final List<Map.Entry<String, Boolean>> checked = java.util.Collections.synchronizedList(new ArrayList<>());
        // one thread, so requests are checked in the order the page sent them; not the WebSocket's own thread,
        // which must stay free to deliver the answers to the calls made here
        private final java.util.concurrent.ExecutorService decisions = java.util.concurrent.Executors.newSingleThreadExecutor();

        private TokenGate(String token) {
            this.token = token;
        }

        /** The requests checked so far: URL, and whether it carried the token. */
        List<Map.Entry<String, Boolean>> checked() {
            synchronized (checked) {
                return List.copyOf(checked);
            }
        }

        private void paused(JsonNode request) {
            decisions.execute(() -> {
                try {
                    decide(request);
                } catch (RuntimeException | AssertionError e) {
                    errors.add("token gate failed: " + e);
                }
            });
        }

        private void decide(JsonNode paused) {
            String url = paused.path("request").path("url").asText();
            String authorization = null;
            for (var it = paused.path("request").path("headers").fields(); it.hasNext(); ) {
                var header = it.next();
                if (header.getKey().equalsIgnoreCase("Authorization")) {
                    authorization = header.getValue().asText();
                }
            }
            boolean ok = ("Bearer " + token).equals(authorization);
            checked.add(Map.entry(url, ok));
            String id = paused.path("requestId").asText();
            if (ok) {
                call("Fetch.continueRequest", Map.of("requestId", id));
            } else {
                String body = "{\"error\":\"unauthorized\",\"message\":\"" + (authorization == null ? "a bearer token is required"
                        : "the token is not valid") + "\"}";
                call("Fetch.fulfillRequest", Map.of("requestId", id, "responseCode", 401, "responseHeaders", List.of(
                        Map.of("name", "Content-Type", "value", "application/json"),
                        Map.of("name", "WWW-Authenticate", "value", "Bearer realm=\"tierlog\"")),
                        "body", Base64.getEncoder().encodeToString(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
            }
        }

        @Override
        public void close() {
            call("Fetch.disable", Map.of());
            gate = null;
            decisions.shutdown();
        }
    }

    /** A PNG of the viewport. */
    byte[] screenshot() {
        return Base64.getDecoder().decode(call("Page.captureScreenshot", Map.of("format", "png")).get("data").asText());
    }

    private void onEvent(JsonNode m) {
        String method = m.path("method").asText();
        JsonNode p = m.path("params");
        switch (method) {
            case "Runtime.exceptionThrown" -> {
                JsonNode d = p.path("exceptionDetails");
                errors.add("uncaught: " + d.path("exception").path("description").asText(d.path("text").asText()));
            }
            case "Runtime.consoleAPICalled" -> {
                String type = p.path("type").asText();
                if (type.equals("error") || type.equals("assert")) {
                    List<String> args = new ArrayList<>();
                    p.path("args").forEach(a -> args.add(a.path("value").asText(a.path("description").asText())));
                    errors.add("console." + type + ": " + String.join(" ", args));
                }
            }
            case "Log.entryAdded" -> {
                JsonNode e = p.path("entry");
                if ("error".equals(e.path("level").asText())) {
                    errors.add("log: " + e.path("text").asText() + " " + e.path("url").asText(""));
                }
            }
            case "Network.requestWillBeSent" -> requests.add(p.path("request").path("url").asText());
            case "Fetch.requestPaused" -> {
                TokenGate g = gate;
                if (g != null) {
                    g.paused(p);
                }
            }
            case "Page.javascriptDialogOpening" -> {
                errors.add("a native dialog opened: " + p.path("message").asText());
                CompletableFuture.runAsync(() -> call("Page.handleJavaScriptDialog", Map.of("accept", false)));
            }
            default -> {
            }
        }
    }

    @Override
    public void close() {
        try {
            call("Browser.close", Map.of());
        } catch (AssertionError e) {
            // already gone or closing: the process is ended below either way
        }
        socket.abort();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Reassembles frames into messages: answers complete their call, events go to {@link #onEvent}. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder buf = new StringBuilder();
        volatile HeadlessChromium owner;

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            buf.append(data);
            if (last) {
                String text = buf.toString();
                buf.setLength(0);
                try {
                    JsonNode m = JSON.readTree(text);
                    HeadlessChromium c = owner;
                    if (m.has("id")) {
                        CompletableFuture<JsonNode> f = c == null ? null : c.calls.get(m.get("id").asInt());
                        if (f != null) {
                            f.complete(m);
                        }
                    } else if (c != null) {
                        c.onEvent(m);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            ws.request(1);
            return null;
        }
    }
}
