package io.tierlog.server;

import io.tierlog.core.TierlogException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A data directory in another storage format is refused at start, by name, before anything reads or writes it. */
class DataDirFormatTest {

    @Test
    void aFreshDirectoryIsMarkedWithTheCurrentFormatAndReopens(@TempDir Path dir) throws IOException {
        try (ServerHarness s = new ServerHarness(dir)) {
            assertThat(s.post("/v1/topics", "{\"name\": \"m\", \"partitions\": 1}").status()).isEqualTo(201);
        }
        assertThat(Files.readString(dir.resolve(DataDirFormat.FILE)).trim()).isEqualTo("2");
        try (ServerHarness s = new ServerHarness(dir)) {
            assertThat(s.get("/v1/topics/m").status()).isEqualTo(200);
        }
    }

    @Test
    void aDirectoryWithTopicsButNoMarkerIsTheOldFormatAndIsRefused(@TempDir Path dir) throws IOException {
        Path partition = Files.createDirectories(dir.resolve("topics").resolve("cpu").resolve("0"));
        Files.write(partition.resolve("00000000000000000000.log"), new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 35, 1});
        assertThatThrownBy(() -> new ServerHarness(dir)).isInstanceOf(TierlogException.class)
                .hasMessageContaining(dir.toAbsolutePath().toString())
                .hasMessageContaining("storage format 1");
        assertThat(partition.resolve("00000000000000000000.log")).exists().hasSize(13);
        assertThat(dir.resolve(DataDirFormat.FILE)).doesNotExist();
    }

    @Test
    void anUnknownMarkerIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(DataDirFormat.FILE), "3\n");
        assertThatThrownBy(() -> new ServerHarness(dir)).hasMessageContaining("storage format 3");
    }
}
