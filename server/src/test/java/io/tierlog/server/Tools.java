package io.tierlog.server;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether the command-line tools a test drives (bash, curl, kcat) are installed. */
final class Tools {
    private Tools() {
    }

    static boolean onPath(String exe) {
        for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(p, exe))) {
                return true;
            }
        }
        return false;
    }
}
