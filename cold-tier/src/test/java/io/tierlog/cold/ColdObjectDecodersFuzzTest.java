package io.tierlog.cold;

import io.tierlog.core.StorageException;
import io.tierlog.core.TopicPartition;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Objects read back from S3 are input like any other: arbitrary bytes as a manifest or as a segment trailer
 * either decode or fail with {@link StorageException} (the server turns it into a 5xx / KAFKA_STORAGE_ERROR
 * naming the object), never with another exception, and never allocate more than the bytes they were given
 * can describe (a damaged count must not cost gigabytes).
 */
class ColdObjectDecodersFuzzTest {
    private static final TopicPartition TP = new TopicPartition("fuzz", 0);

    @Property(tries = 3000)
    void arbitraryBytesAsAManifestFailOnlyWithStorageException(@ForAll @Size(max = 600) byte[] bytes) {
        decodeManifest(bytes);
    }

    /**
     * Past the CRC and the magic: a valid header and CRC around an arbitrary count and arbitrary entries, so
     * that the fuzzer reaches the entry parsing (random bytes almost never pass a CRC32C).
     */
    @Property(tries = 3000)
    void damagedManifestBodiesWithAValidCrcFailOnlyWithStorageException(@ForAll int count,
                                                                       @ForAll @Size(max = 600) byte[] entries) {
        byte[] header = new Manifest(42, List.of()).encode();
        ByteBuffer b = ByteBuffer.allocate(16 + 4 + entries.length + 4).order(ByteOrder.BIG_ENDIAN);
        b.put(header, 0, 16).putInt(count).put(entries);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        Manifest m = decodeManifest(b.array());
        if (m != null) {
            assertThat(m.segments().size()).isLessThanOrEqualTo(entries.length / 46);
            assertThat(m.offloadedUpTo()).isEqualTo(42);
        }
    }

    @Property(tries = 3000)
    void aValidManifestWithOneFlippedBitFailsWithStorageException(@ForAll int bitSeed) {
        Manifest m = new Manifest(300, List.of(
                entry(0, 100, "p/fuzz/0/a.seg"), entry(100, 200, "p/fuzz/0/b.seg"), entry(200, 300, "p/fuzz/0/c.seg")));
        byte[] bytes = m.encode();
        assertThat(Manifest.decode(bytes, TP, "k")).isEqualTo(m);
        int bit = Math.floorMod(bitSeed, bytes.length * 8);
        bytes[bit / 8] ^= (byte) (1 << (bit % 8));
        try {
            Manifest.decode(bytes, TP, "k");
            throw new AssertionError("a flipped bit " + bit + " went unnoticed");
        } catch (StorageException expected) {
            assertThat(expected).hasMessageContaining("k");
        }
    }

    @Property(tries = 3000)
    void arbitraryBytesAsASegmentTrailerFailOnlyWithStorageException(@ForAll @Size(max = 400) byte[] trailer,
                                                                     @ForAll long logLength, @ForAll long base,
                                                                     @ForAll long next) {
        try {
            SegmentObject.SegmentIndex index = SegmentObject.parse(trailer, "k", logLength, base, next);
            assertThat(index.size()).isLessThanOrEqualTo(trailer.length / 20);
        } catch (StorageException expected) {
            assertThat(expected).hasMessageContaining("k");
        }
    }

    private static Manifest decodeManifest(byte[] bytes) {
        try {
            return Manifest.decode(bytes, TP, "tl/fuzz/0/manifest.bin");
        } catch (StorageException expected) {
            assertThat(expected).hasMessageContaining("tl/fuzz/0/manifest.bin");
            return null;
        }
    }

    private static Manifest.Entry entry(long base, long next, String key) {
        return new Manifest.Entry(new RemoteSegmentInfo(TP, base, next, base, next, 1000, key), 1000, 60);
    }
}
