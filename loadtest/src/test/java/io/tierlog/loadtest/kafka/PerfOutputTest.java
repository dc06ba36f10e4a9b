package io.tierlog.loadtest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The tools' summary lines, as Kafka 4.1.2's ProducerPerformance and ConsumerPerformance print them. */
class PerfOutputTest {

    @Test
    void producerPerformanceIsReadFromItsFinalLineNotFromTheProgressLines() {
        List<String> out = List.of(
                "2463489 records sent, 492697.8 records/sec (46.99 MB/sec), 10.8 ms avg latency, 118.0 ms max latency.",
                "5000000 records sent, 812345.6 records/sec (77.47 MB/sec), 12.34 ms avg latency, 250.00 ms max latency, "
                        + "9 ms 50th, 31 ms 95th, 45 ms 99th, 120 ms 99.9th.");
        PerfOutput.Produced p = PerfOutput.produced(out).orElseThrow();
        assertThat(p.records()).isEqualTo(5_000_000);
        assertThat(p.recordsPerSec()).isEqualTo(812345.6);
        assertThat(p.mbPerSec()).isEqualTo(77.47);
        assertThat(p.p50Ms()).isEqualTo(9);
        assertThat(p.p99Ms()).isEqualTo(45);
        assertThat(p.p999Ms()).isEqualTo(120);
        assertThat(PerfOutput.produced(out.subList(0, 1))).isEmpty();
    }

    @Test
    void consumerPerformanceIsReadFromItsDataLine() {
        List<String> out = List.of("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                        + "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
                "2026-11-30 13:45:00:123, 2026-11-30 13:45:05:456, 476.8372, 89.4126, 5000000, 937558.6, 3012, 2321, "
                        + "205.4447, 2154243.8607");
        PerfOutput.Consumed c = PerfOutput.consumed(out).orElseThrow();
        assertThat(c.records()).isEqualTo(5_000_000);
        assertThat(c.fetchMs()).isEqualTo(2321);
        assertThat(c.fetchRecordsPerSec()).isEqualTo(2154243.8607);
        assertThat(c.fetchMbPerSec()).isEqualTo(205.4447);
        assertThat(PerfOutput.consumed(out.subList(0, 1))).isEmpty();
    }

    @Test
    void endToEndResultLineCountsEveryUndeliveredRecord() {
        PerfOutput.EndToEnd e = PerfOutput.endToEnd(List.of("noise", "RESULT rate=1000 sent=20000 received=19990 failed=3 "
                + "unsent=5 lost=2 p50_us=1500 p99_us=9000 p999_us=60000000 max_us=60000000")).orElseThrow();
        assertThat(e.rate()).isEqualTo(1000);
        assertThat(e.undelivered()).isEqualTo(10);
        assertThat(e.p99Us()).isEqualTo(9000);
    }

    @Test
    void cpuTicksAreUserAndSystemEvenWhenTheCommandNameHasSpaces() {
        String stat = "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 120 0 0 0 1234 567 0 0 20 0 40 0 100 0 0";
        assertThat(ProcCpu.ticks(stat)).containsExactly(1234, 567);
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(Summary.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(Summary.median(List.of(4.0, 1.0, 2.0, 3.0))).isEqualTo(2.5);
        assertThat(Summary.median(List.of())).isNaN();
    }
}
