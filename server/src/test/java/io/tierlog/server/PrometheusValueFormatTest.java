package io.tierlog.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sample values as Prometheus writes them (Go's FormatFloat(v, 'f', -1, 64)): no exponent, shortest digits. */
class PrometheusValueFormatTest {
    @Test
    void valuesAreWrittenAsPrometheusWritesThem() {
        assertThat(PrometheusQueryApi.format(2)).isEqualTo("2");
        assertThat(PrometheusQueryApi.format(-17)).isEqualTo("-17");
        assertThat(PrometheusQueryApi.format(0.1)).isEqualTo("0.1");
        assertThat(PrometheusQueryApi.format(1e-5)).isEqualTo("0.00001");
        assertThat(PrometheusQueryApi.format(123456789.125)).isEqualTo("123456789.125");
        assertThat(PrometheusQueryApi.format(1e21)).isEqualTo("1000000000000000000000");
        assertThat(PrometheusQueryApi.format(-0.0)).isEqualTo("-0");
        assertThat(PrometheusQueryApi.format(Double.NaN)).isEqualTo("NaN");
        assertThat(PrometheusQueryApi.format(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
        assertThat(PrometheusQueryApi.format(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    }
}
