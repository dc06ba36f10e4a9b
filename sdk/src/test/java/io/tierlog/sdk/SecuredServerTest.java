package io.tierlog.sdk;

import static io.tierlog.sdk.SdkTesting.newTopic;
import static io.tierlog.sdk.SdkTesting.readAll;
import static io.tierlog.sdk.SdkTesting.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tierlog.auth.Grant;
import io.tierlog.auth.Permission;
import io.tierlog.auth.TokenEntry;
import io.tierlog.auth.TokenFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK against a server that authenticates: with {@link Credentials} its HTTP calls carry the bearer token and its
 * producers and consumers sign in over SASL/PLAIN; without them, or with a wrong token, the server's refusal comes
 * back typed.
 */
class SecuredServerTest {
    @TempDir
    Path dir;

    @Test
    void credentialsOpenBothDoorsAndTheirAbsenceIsRefused() throws Exception {
        String token = TokenEntry.newToken();
        Path tokens = dir.resolve("tokens.json");
        TokenFile.write(tokens, List.of(TokenEntry.create("app", token, List.of(new Grant(Permission.ADMIN, ""),
                new Grant(Permission.PRODUCE, ""), new Grant(Permission.CONSUME, "")))));
        try (TestServer server = TestServer.start(dir.resolve("data"), Map.of("auth.token.file", tokens.toString()))) {
            String topic = newTopic();
            try (TierlogClient anonymous = TierlogClient.create(server.uri())) {
                assertThatThrownBy(() -> anonymous.createTopic(topic, 2, Map.of()))
                        .isInstanceOf(TierlogServerException.Unauthorized.class);
            }
            try (TierlogClient wrong = TierlogClient.create(server.uri(), null, new Credentials("app", "not-" + token))) {
                assertThatThrownBy(wrong::listTopics).isInstanceOf(TierlogServerException.Unauthorized.class);
            }
            try (TierlogClient client = TierlogClient.create(server.uri(), null, new Credentials("app", token))) {
                client.createTopic(topic, 2, Map.of());
                try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
                    for (int i = 0; i < 100; i++) {
                        p.send(topic, sample(i));
                    }
                }
                assertThat(readAll(client, topic, 100)).hasSize(100);
                assertThat(client.query().offsetRange(topic, 0, 0, Long.MAX_VALUE).stream().count()
                        + client.query().offsetRange(topic, 1, 0, Long.MAX_VALUE).stream().count()).isEqualTo(100);
            }
        }
    }
}
