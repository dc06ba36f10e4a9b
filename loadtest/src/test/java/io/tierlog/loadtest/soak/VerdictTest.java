package io.tierlog.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** The soak's verdict on made-up samples: flat passes, a figure growing beyond its tolerance or any error fails. */
class VerdictTest {
    private static final long MB = 1024 * 1024;
    private static final Outcomes.Totals NONE = new Outcomes.Totals(0, 0, 0, 0, 0, 0, 0, 0, 0);

    private static List<Sample> samples(int n, IntFunction<Long> heap, IntFunction<Long> fds) {
        List<Sample> out = new ArrayList<>();
        out.add(new Sample(0, false, 900 * MB, 0, 0, 9999, 9999, 0, 0, NONE, 10)); // warm-up: never judged
        for (int i = 0; i < n; i++) {
            out.add(new Sample(10 + 10 * i, true, heap.apply(i), 200 * MB, 700 * MB, fds.apply(i), 60, 1000, 50, NONE, 10));
        }
        return out;
    }

    @Test
    void flatFiguresWithoutErrorsPass() {
        // G1's sawtooth and an fd opened now and then do not fail it
        Verdict v = Verdict.of(samples(30, i -> (100 + (i % 4) * 5) * MB, i -> 120L + i % 3), 0, 0);
        assertThat(v.passed()).as(String.join("\n", v.format())).isTrue();
        assertThat(v.samples()).isEqualTo(30);
        assertThat(v.checks()).allSatisfy(c -> assertThat(c.passed()).isTrue());
    }

    @Test
    void aLeakingHeapFails() {
        // +2 MB per sample: 100 MB -> 160 MB, the median of the last third is far beyond 100 * 1.1 + 16
        Verdict v = Verdict.of(samples(30, i -> (100 + 2L * i) * MB, i -> 120L), 0, 0);
        assertThat(v.passed()).isFalse();
        assertThat(v.checks()).filteredOn(c -> !c.passed()).extracting(Verdict.Check::name).containsExactly("heap after GC");
        assertThat(String.join("\n", v.format())).contains("verdict: FAIL", "GREW");
    }

    @Test
    void leakingFileDescriptorsFail() {
        Verdict v = Verdict.of(samples(30, i -> 100 * MB, i -> 120L + 2L * i), 0, 0);
        assertThat(v.checks()).filteredOn(c -> !c.passed()).extracting(Verdict.Check::name).containsExactly("open fds");
    }

    @Test
    void anyFailedOrUnsentRequestFailsFlatFigures() {
        assertThat(Verdict.of(samples(30, i -> 100 * MB, i -> 120L), 1, 0).passed()).isFalse();
        assertThat(Verdict.of(samples(30, i -> 100 * MB, i -> 120L), 0, 1).passed()).isFalse();
    }

    @Test
    void tooFewSamplesAreNotJudgedAndFail() {
        Verdict v = Verdict.of(samples(2, i -> 100 * MB, i -> 120L), 0, 0);
        assertThat(v.passed()).isFalse();
        assertThat(String.join("\n", v.format())).contains("NOT JUDGED");
    }

    @Test
    void anUnreadableFigureFailsItsCheck() {
        Verdict v = Verdict.of(samples(9, i -> -1L, i -> 120L), 0, 0);
        assertThat(v.checks()).filteredOn(c -> !c.passed()).extracting(Verdict.Check::name).containsExactly("heap after GC");
    }
}
