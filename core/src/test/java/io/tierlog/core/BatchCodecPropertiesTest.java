package io.tierlog.core;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchCodecPropertiesTest {

    /** What a producer hands to the builder (no offset yet). */
    record Input(long timestamp, byte[] key, byte[] value, List<Header> headers) {
    }

    @Property(tries = 1000)
    void anyBatchRoundTripsThroughEveryCodec(@ForAll("inputs") List<Input> inputs,
                                             @ForAll @LongRange(min = 0, max = 1_000_000) long baseOffset) {
        for (Compression c : Compression.values()) {
            BatchBuilder b = new BatchBuilder(c);
            inputs.forEach(i -> b.add(i.timestamp(), i.key(), i.value(), i.headers()));
            RecordBatch batch = b.build(baseOffset);

            // through bytes, as it would travel to disk or S3
            ByteBuffer copy = ByteBuffer.allocate(batch.sizeInBytes());
            copy.put(batch.buffer()).flip();
            List<RecordBatch> parsed = RecordBatch.parseAll(copy);
            assertThat(parsed).hasSize(1);
            RecordBatch decoded = parsed.getFirst();

            assertThat(decoded.compression()).isEqualTo(c);
            assertThat(decoded.baseOffset()).isEqualTo(baseOffset);
            assertThat(decoded.recordCount()).isEqualTo(inputs.size());
            assertThat(decoded.lastOffset()).isEqualTo(baseOffset + inputs.size() - 1);
            assertThat(decoded.minTimestamp()).isEqualTo(inputs.stream().mapToLong(Input::timestamp).min().orElseThrow());
            assertThat(decoded.maxTimestamp()).isEqualTo(inputs.stream().mapToLong(Input::timestamp).max().orElseThrow());
            assertThat(decoded.records()).containsExactlyElementsOf(expected(inputs, baseOffset));
        }
    }

    /**
     * Every byte but the base offset (rewritten by the log) and the partition leader epoch (bytes 12-15, set by
     * the broker) is protected: the length by framing, the rest by the CRC.
     */
    @Property(tries = 1000)
    void anySingleByteFlipOutsideTheBrokerFieldsIsDetected(@ForAll("inputs") List<Input> inputs,
                                                           @ForAll("compressions") Compression c,
                                                           @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where,
                                                           @ForAll @IntRange(min = 1, max = 255) int mask) {
        BatchBuilder b = new BatchBuilder(c);
        inputs.forEach(i -> b.add(i.timestamp(), i.key(), i.value(), i.headers()));
        ByteBuffer bytes = b.build(7).buffer();
        int candidates = bytes.limit() - 12;
        int k = where % candidates;
        int pos = k < 4 ? 8 + k : 16 + (k - 4);
        bytes.put(pos, (byte) (bytes.get(pos) ^ mask));
        assertThatThrownBy(() -> RecordBatch.parseAll(bytes)).isInstanceOf(CorruptBatchException.class);
    }

    /** The allocation-free validation pass reports each record's index, timestamp and field lengths exactly. */
    @Property(tries = 300)
    void theShallowValidationSeesEveryRecordsTimestampAndLengths(@ForAll("inputs") List<Input> inputs,
                                                                 @ForAll("compressions") Compression c) {
        BatchBuilder b = new BatchBuilder(c);
        inputs.forEach(i -> b.add(i.timestamp(), i.key(), i.value(), i.headers()));
        List<String> seen = new ArrayList<>();
        RecordBatch.Checked checked = b.build(3).validate((i, ts, keyLength, valueLength) ->
                seen.add(i + ":" + ts + ":" + keyLength + ":" + valueLength));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            expected.add(i + ":" + in.timestamp() + ":" + (in.key() == null ? -1 : in.key().length) + ":"
                    + (in.value() == null ? -1 : in.value().length));
        }
        assertThat(seen).isEqualTo(expected);
        assertThat(checked.recordCount()).isEqualTo(inputs.size());
        assertThat(checked.minTimestamp()).isEqualTo(inputs.stream().mapToLong(Input::timestamp).min().orElseThrow());
    }

    /** Kafka's own reader (kafka-clients' DefaultRecordBatch) accepts our batches and sees the same records. */
    @Property(tries = 300)
    void kafkaClientsReadOurBatches(@ForAll("inputs") List<Input> inputs, @ForAll("compressions") Compression c,
                                    @ForAll @LongRange(min = 0, max = 1_000_000) long baseOffset) {
        BatchBuilder b = new BatchBuilder(c);
        inputs.forEach(i -> b.add(i.timestamp(), i.key(), i.value(), i.headers()));
        RecordBatch ours = b.build(baseOffset);
        assertThat(KafkaBatches.decode(ours.buffer())).containsExactlyElementsOf(expected(inputs, baseOffset));
    }

    /**
     * We read what kafka-clients' MemoryRecordsBuilder (the producer's batch writer) writes, for every codec, and
     * an uncompressed batch is the same bytes either way.
     */
    @Property(tries = 300)
    void weReadKafkaClientsBatches(@ForAll("inputs") List<Input> inputs, @ForAll("compressions") Compression c,
                                   @ForAll @LongRange(min = 0, max = 1_000_000) long baseOffset) {
        ByteBuffer theirs = KafkaBatches.encode(c, baseOffset, expected(inputs, baseOffset));
        RecordBatch decoded = RecordBatch.parseAll(theirs.duplicate()).getFirst();
        assertThat(decoded.compression()).isEqualTo(c);
        assertThat(decoded.records()).containsExactlyElementsOf(expected(inputs, baseOffset));
        if (c == Compression.NONE) {
            BatchBuilder b = new BatchBuilder(c);
            inputs.forEach(i -> b.add(i.timestamp(), i.key(), i.value(), i.headers()));
            assertThat(b.build(baseOffset).buffer()).isEqualTo(theirs);
        }
    }

    @Property(tries = 1000)
    void concatenatedBatchesSplitBackExactly(@ForAll("batchesOfInputs") List<List<Input>> batches,
                                             @ForAll("compressions") Compression c) {
        List<ByteBuffer> encoded = new ArrayList<>();
        int total = 0;
        long next = 0;
        for (List<Input> inputs : batches) {
            BatchBuilder b = new BatchBuilder(c);
            inputs.forEach(i -> b.add(i.timestamp(), i.key(), i.value(), i.headers()));
            ByteBuffer buf = b.build(next).buffer();
            next += inputs.size();
            encoded.add(buf);
            total += buf.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        encoded.forEach(all::put);
        all.flip();

        List<RecordBatch> parsed = RecordBatch.parseAll(all);
        assertThat(parsed).hasSize(batches.size());
        long expectedBase = 0;
        for (int i = 0; i < parsed.size(); i++) {
            assertThat(parsed.get(i).records()).containsExactlyElementsOf(expected(batches.get(i), expectedBase));
            expectedBase += batches.get(i).size();
        }
        List<RecordBatch> iterated = new ArrayList<>();
        RecordBatch.iterate(all).forEach(iterated::add);
        assertThat(iterated).hasSize(batches.size());
    }

    private static List<Record> expected(List<Input> inputs, long baseOffset) {
        List<Record> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            out.add(new Record(baseOffset + i, in.timestamp(), in.key(), in.value(), in.headers()));
        }
        return out;
    }

    @Provide
    Arbitrary<Compression> compressions() {
        return Arbitraries.of(Compression.class);
    }

    @Provide
    Arbitrary<List<List<Input>>> batchesOfInputs() {
        return inputs().list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<List<Input>> inputs() {
        Arbitrary<Long> timestamps = Arbitraries.oneOf(
                Arbitraries.longs().between(0, Validation.MAX_TIMESTAMP),
                Arbitraries.longs().between(1_732_470_000_000L, 1_732_470_100_000L));
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(300).injectNull(0.2);
        Arbitrary<Header> header = Combinators.combine(
                Arbitraries.strings().ofMaxLength(20),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(20).injectNull(0.2)).as(Header::new);
        Arbitrary<Input> input = Combinators.combine(timestamps, bytes, bytes, header.list().ofMaxSize(3)).as(Input::new);
        return input.list().ofMinSize(1).ofMaxSize(40);
    }
}
