package io.tierlog.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ValidationTest {
    private static final java.util.regex.Pattern SPEC = java.util.regex.Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:.]*");

    @net.jqwik.api.Property(tries = 2000)
    void identifierCheckEqualsTheSpecRegex(@net.jqwik.api.ForAll("identifierLike") String s) {
        assertThat(Validation.isIdentifier(s)).isEqualTo(SPEC.matcher(s).matches());
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> identifierLike() {
        return net.jqwik.api.Arbitraries.strings().withChars("aZ_:.09-/ é{}").ofMaxLength(8);
    }

    private final Limits limits = Limits.DEFAULTS;

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "a.b-c_d", "A1", "..a", "x..", "-"})
    void acceptsValidTopicNames(String name) {
        assertThat(Validation.topicName(name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {".", "..", "../x", "a/b", "a\\b", "/abs", "", "sp ace", "é", "a\u0000b", "%2e%2e"})
    void refusesTopicNamesThatCouldEscapeOrAreInvalid(String name) {
        assertThatThrownBy(() -> Validation.topicName(name)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("topic name");
    }

    @Test
    void topicNameLengthIsBounded() {
        assertThatCode(() -> Validation.topicName("a".repeat(200))).doesNotThrowAnyException();
        assertThatThrownBy(() -> Validation.topicName("a".repeat(201))).hasMessageContaining("at most 200");
    }

    @Test
    void metricNamesFollowThePrometheusLikeRule() {
        assertThatCode(() -> Validation.metricName("http_requests:total.sum", limits)).doesNotThrowAnyException();
        assertThatThrownBy(() -> Validation.metricName("1abc", limits)).hasMessageContaining("metric name '1abc'");
        assertThatThrownBy(() -> Validation.metricName("a-b", limits)).hasMessageContaining("must match");
        assertThatThrownBy(() -> Validation.metricName("", limits)).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> Validation.metricName("a".repeat(257), limits)).hasMessageContaining("at most 256");
    }

    @Test
    void tagsAreBoundedInCountAndLength() {
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 33; i++) {
            many.put("k" + i, "v");
        }
        assertThatThrownBy(() -> Validation.tags(many, limits)).hasMessageContaining("33 tags given; at most 32");
        assertThatThrownBy(() -> Validation.tags(Map.of("host", "x".repeat(257)), limits))
                .hasMessageContaining("value of tag 'host'");
        assertThatThrownBy(() -> Validation.tags(Map.of("bad key", "v"), limits)).hasMessageContaining("tag key 'bad key'");
        assertThatCode(() -> Validation.tags(Map.of("host", "a,b={}"), limits)).doesNotThrowAnyException();
    }

    @Test
    void timestampsMustBeEpochMillis() {
        assertThatCode(() -> Validation.timestamp(1_732_470_000_000L)).doesNotThrowAnyException();
        assertThatThrownBy(() -> Validation.timestamp(-1)).hasMessageContaining("epoch milliseconds");
        assertThatThrownBy(() -> Validation.timestamp(1_732_470_000_000_000L)).hasMessageContaining("outside");
    }

    @Test
    void groupNamesAreKafkaGroupIdsWithoutControlCharacters() {
        assertThat(Validation.groupName("dash-board_1")).isEqualTo("dash-board_1");
        assertThat(Validation.groupName("connect-my connector")).isEqualTo("connect-my connector");
        assertThatThrownBy(() -> Validation.groupName("")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Validation.groupName("a\nb")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("control character");
    }

    @Test
    void recordValueSizeIsBounded() {
        assertThatCode(() -> Validation.recordValueSize(1024 * 1024, limits)).doesNotThrowAnyException();
        assertThatThrownBy(() -> Validation.recordValueSize(1024 * 1024 + 1, limits)).hasMessageContaining("exceeds the limit");
    }
}
