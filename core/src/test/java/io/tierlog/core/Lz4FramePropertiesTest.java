package io.tierlog.core;

import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Our whole-buffer LZ4 frame codec against lz4-java's reference stream implementation, both ways, over inputs
 * spanning several 64 KiB blocks, compressible and not; damaged frames fail as corrupt, never out of bounds.
 */
class Lz4FramePropertiesTest {

    @Provide
    Arbitrary<byte[]> payloads() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200_000);
        Arbitrary<byte[]> repetitive = Arbitraries.integers().between(0, 300_000).map(n -> {
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = (byte) ("cpu.usage{host=web-" + (i % 97) + "}").charAt(i % 20);
            }
            return b;
        });
        return Arbitraries.oneOf(random, repetitive);
    }

    @Property(tries = 200)
    void theReferenceDecoderReadsOurFrames(@ForAll("payloads") byte[] data) throws IOException {
        byte[] frame = Lz4Frame.encode(data, 0, data.length);
        try (LZ4FrameInputStream in = new LZ4FrameInputStream(new ByteArrayInputStream(frame))) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Property(tries = 200)
    void weReadTheReferenceEncodersFramesOfEveryBlockSize(@ForAll("payloads") byte[] data,
                                                          @ForAll LZ4FrameOutputStream.BLOCKSIZE blockSize) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (LZ4FrameOutputStream out = new LZ4FrameOutputStream(bytes, blockSize)) {
            out.write(data);
        }
        assertThat(Lz4Frame.decode(ByteBuffer.wrap(bytes.toByteArray()), 16, Integer.MAX_VALUE - 16)).isEqualTo(data);
    }

    @Property(tries = 300)
    void aDamagedFrameIsCorruptNeverAnotherException(@ForAll("payloads") byte[] data,
                                                     @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where,
                                                     @ForAll @IntRange(min = 1, max = 255) int mask,
                                                     @ForAll boolean truncate) {
        byte[] frame = Lz4Frame.encode(data, 0, data.length);
        int pos = where % frame.length;
        byte[] damaged = truncate ? java.util.Arrays.copyOf(frame, pos) : frame.clone();
        if (!truncate) {
            damaged[pos] ^= (byte) mask;
        }
        try {
            Lz4Frame.decode(ByteBuffer.wrap(damaged), 16, 1 << 20);
        } catch (CorruptBatchException expected) {
            // the only way to fail
        }
    }

    @Property(tries = 50)
    void theOutputIsBoundedBeforeItIsAllocated(@ForAll @IntRange(min = 70_000, max = 300_000) int size) {
        byte[] zeros = new byte[size];
        byte[] frame = Lz4Frame.encode(zeros, 0, zeros.length);
        assertThatThrownBy(() -> Lz4Frame.decode(ByteBuffer.wrap(frame), 16, 65_536))
                .isInstanceOf(CorruptBatchException.class).hasMessageContaining("more than 65536 bytes");
    }
}
