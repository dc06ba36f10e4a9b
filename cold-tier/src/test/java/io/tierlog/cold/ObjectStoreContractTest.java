package io.tierlog.cold;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link ObjectStore} implementation must do, run against each S3-compatible server we support
 * (S3Proxy in-process on every run, MinIO in Docker when available).
 */
abstract class ObjectStoreContractTest {

    /** A store on an existing bucket; multipart above 5 MiB with 5 MiB parts. */
    protected abstract ObjectStore store();

    /** A second store on the same bucket with checksums WHEN_REQUIRED. */
    protected abstract ObjectStore storeWithChecksumsWhenRequired();

    private final String prefix = "contract/" + UUID.randomUUID() + "/";

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putGetHeadAndRangedGet() {
        ObjectStore s = store();
        byte[] data = random(100_000, 1);
        s.put(prefix + "a", data);
        assertThat(s.get(prefix + "a")).isEqualTo(data);
        assertThat(s.head(prefix + "a")).contains(new ObjectMeta(prefix + "a", data.length));
        assertThat(s.getRange(prefix + "a", 1000, 5000)).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 6000));
        // a range running past the end returns what exists
        assertThat(s.getRange(prefix + "a", 99_990, 100)).isEqualTo(java.util.Arrays.copyOfRange(data, 99_990, 100_000));
        // overwrite is atomic replace
        s.put(prefix + "a", new byte[] {1, 2, 3});
        assertThat(s.get(prefix + "a")).containsExactly(1, 2, 3);
    }

    @Test
    void missingObjects() {
        ObjectStore s = store();
        assertThat(s.head(prefix + "nope")).isEmpty();
        assertThatThrownBy(() -> s.get(prefix + "nope")).isInstanceOf(ObjectNotFoundException.class)
                .hasMessageContaining(prefix + "nope");
        assertThatThrownBy(() -> s.getRange(prefix + "nope", 0, 10)).isInstanceOf(ObjectNotFoundException.class);
        s.delete(prefix + "nope"); // idempotent
        assertThatThrownBy(() -> s.getRange(prefix + "x", -1, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void putFileWithTrailerSinglePart(@TempDir Path dir) throws Exception {
        ObjectStore s = store();
        byte[] data = random(300_000, 2);
        Path f = dir.resolve("seg.log");
        Files.write(f, data);
        byte[] trailer = random(777, 3);
        // only the first 250_000 bytes of the file count (e.g. a preallocated file)
        s.putFile(prefix + "seg", f, 250_000, trailer);
        byte[] got = s.get(prefix + "seg");
        assertThat(got).hasSize(250_777);
        assertThat(java.util.Arrays.copyOfRange(got, 0, 250_000)).isEqualTo(java.util.Arrays.copyOfRange(data, 0, 250_000));
        assertThat(java.util.Arrays.copyOfRange(got, 250_000, got.length)).isEqualTo(trailer);
        s.putFile(prefix + "whole", f);
        assertThat(s.get(prefix + "whole")).isEqualTo(data);
    }

    @Test
    void multipartUploadAboveThreshold(@TempDir Path dir) throws Exception {
        ObjectStore s = store();
        int size = 11 * 1024 * 1024 + 12345; // 3 parts of 5 MiB, the trailer straddles the last part
        byte[] data = random(size, 4);
        Path f = dir.resolve("big.log");
        Files.write(f, data);
        byte[] trailer = random(4096, 5);
        s.putFile(prefix + "big", f, size, trailer);
        assertThat(s.head(prefix + "big")).contains(new ObjectMeta(prefix + "big", size + trailer.length));
        byte[] across = s.getRange(prefix + "big", 5L * 1024 * 1024 - 10, 20);
        assertThat(across).isEqualTo(java.util.Arrays.copyOfRange(data, 5 * 1024 * 1024 - 10, 5 * 1024 * 1024 + 10));
        assertThat(s.getRange(prefix + "big", size, 4096)).isEqualTo(trailer);
        byte[] all = s.get(prefix + "big");
        assertThat(java.util.Arrays.copyOfRange(all, 0, size)).isEqualTo(data);
    }

    @Test
    void listByPrefixInKeyOrder() {
        ObjectStore s = store();
        for (String k : List.of("t/1/b", "t/1/a", "t/10/a", "t/2/a")) {
            s.put(prefix + k, k.getBytes());
        }
        assertThat(s.list(prefix + "t/1/")).extracting(ObjectMeta::key).containsExactly(prefix + "t/1/a", prefix + "t/1/b");
        assertThat(s.list(prefix + "t/")).hasSize(4);
        assertThat(s.list(prefix + "t/1/a")).extracting(ObjectMeta::size).containsExactly(5L);
        assertThat(s.list(prefix + "zzz/")).isEmpty();
    }

    @Test
    void deleteOneManyAndByPrefix() {
        ObjectStore s = store();
        for (int i = 0; i < 25; i++) {
            s.put(prefix + "d/" + i, new byte[] {(byte) i});
        }
        s.put(prefix + "keep", new byte[] {1});
        s.delete(prefix + "d/0");
        assertThat(s.head(prefix + "d/0")).isEmpty();
        s.deleteAll(List.of(prefix + "d/1", prefix + "d/2", prefix + "d/missing"));
        assertThat(s.list(prefix + "d/")).hasSize(22);
        assertThat(s.deletePrefix(prefix + "d/")).isEqualTo(22);
        assertThat(s.list(prefix + "d/")).isEmpty();
        assertThat(s.head(prefix + "keep")).isPresent();
        s.deleteAll(List.of());
    }

    @Test
    void checksumsWhenRequiredAlsoWork(@TempDir Path dir) throws Exception {
        ObjectStore s = storeWithChecksumsWhenRequired();
        byte[] data = random(6 * 1024 * 1024, 6);
        Path f = dir.resolve("c.log");
        Files.write(f, data);
        s.putFile(prefix + "c", f, data.length, new byte[] {9});
        assertThat(s.getRange(prefix + "c", data.length, 1)).containsExactly(9);
        assertThat(s.getRange(prefix + "c", 17, 100)).isEqualTo(java.util.Arrays.copyOfRange(data, 17, 117));
        s.deleteAll(List.of(prefix + "c"));
        assertThat(s.head(prefix + "c")).isEmpty();
    }
}
