package io.tierlog.cold;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decoded-group cache keeps what a replay reads next: groups of nearly half the bound, each read many times in
 * turn, are each loaded once. Caffeine's frequency-based admission (what the cache was before) loads them again and
 * again, which made a replay of a month of metrics fetch 3x the bytes of segment copies instead of 30x fewer.
 */
class WeightedLruCacheTest {
    private static final long MAX = 64 << 20;
    private static final long GROUP = 29 << 20; // a decoded row group of a million records

    @Test
    void aReplayOfLargeGroupsLoadsEachGroupOnce() {
        WeightedLruCache<Integer, long[]> cache = new WeightedLruCache<>(MAX, v -> v[0]);
        AtomicInteger loads = new AtomicInteger();
        for (int group = 0; group < 20; group++) {
            for (int fetch = 0; fetch < 50; fetch++) { // a consumer's fetches of one group
                int g = group;
                cache.get(g, () -> {
                    loads.incrementAndGet();
                    return new long[] {GROUP};
                });
            }
        }
        assertThat(loads.get()).isEqualTo(20);
        assertThat(cache.weight()).isLessThanOrEqualTo(MAX).isEqualTo(2 * GROUP);
        assertThat(cache.contains(19)).isTrue();
        assertThat(cache.contains(18)).isTrue();
        assertThat(cache.contains(17)).as("least recently used").isFalse();
    }

    /** Why not Caffeine: the same pattern, counted, on the policy this cache replaced. */
    @Test
    void caffeinesAdmissionPolicyWouldLoadTheGroupsAgainAndAgain() {
        Cache<Integer, long[]> caffeine = Caffeine.newBuilder().maximumWeight(MAX)
                .weigher((Integer k, long[] v) -> (int) v[0]).executor(Runnable::run).build();
        AtomicInteger loads = new AtomicInteger();
        for (int group = 0; group < 20; group++) {
            for (int fetch = 0; fetch < 50; fetch++) {
                caffeine.get(group, k -> {
                    loads.incrementAndGet();
                    return new long[] {GROUP};
                });
            }
        }
        assertThat(loads.get()).as("loads by Caffeine for 20 groups").isGreaterThan(20);
    }

    @Test
    void aValueHeavierThanTheBoundIsReturnedButNotKeptAndRemovalsKeepTheWeight() {
        WeightedLruCache<String, long[]> cache = new WeightedLruCache<>(100, v -> v[0]);
        assertThat(cache.get("huge", () -> new long[] {101})[0]).isEqualTo(101);
        assertThat(cache.contains("huge")).isFalse();
        cache.get("a#0", () -> new long[] {40});
        cache.get("a#1", () -> new long[] {40});
        cache.get("b#0", () -> new long[] {20});
        assertThat(cache.weight()).isEqualTo(100);
        cache.removeIf(k -> k.startsWith("a#"));
        assertThat(cache.weight()).isEqualTo(20);
        assertThat(cache.contains("b#0")).isTrue();
        cache.invalidateAll();
        assertThat(cache.weight()).isZero();
        assertThat(cache.contains("b#0")).isFalse();
    }
}
