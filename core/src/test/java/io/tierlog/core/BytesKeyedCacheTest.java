package io.tierlog.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BytesKeyedCacheTest {

    @Test
    void looksUpByContentAndKeepsItsOwnCopyOfTheKey() {
        BytesKeyedCache<String> cache = new BytesKeyedCache<>(10);
        byte[] key = {1, 2, 3};
        cache.put(key, "a");
        assertThat(cache.get(new byte[]{1, 2, 3})).isEqualTo("a");
        key[0] = 9; // the caller reuses its buffer: the cached entry must not change with it
        assertThat(cache.get(new byte[]{1, 2, 3})).isEqualTo("a");
        assertThat(cache.get(key)).isNull();
    }

    @Test
    void staysWithinItsBound() {
        BytesKeyedCache<Integer> cache = new BytesKeyedCache<>(3);
        for (int i = 0; i < 100; i++) {
            cache.put(new byte[]{(byte) i}, i);
            assertThat(cache.size()).isLessThanOrEqualTo(3);
        }
        assertThat(cache.get(new byte[]{99})).isEqualTo(99);
        assertThatThrownBy(() -> new BytesKeyedCache<>(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
