package io.tierlog.receivers;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Expected names as Prometheus' OTLP translation (underscore escaping with suffixes) produces them. */
class OtlpNamingTest {
    @Test
    void metric_names_get_unit_and_type_suffixes_once() {
        assertThat(OtlpNaming.metricName("system.io", "By", true, false)).isEqualTo("system_io_bytes_total");
        assertThat(OtlpNaming.metricName("requests_total", "", true, false)).isEqualTo("requests_total");
        assertThat(OtlpNaming.metricName("request.duration.seconds", "s", false, false)).isEqualTo("request_duration_seconds");
        assertThat(OtlpNaming.metricName("throughput", "By/s", false, true)).isEqualTo("throughput_bytes_per_second");
        assertThat(OtlpNaming.metricName("active", "{connection}", false, true)).isEqualTo("active");
        assertThat(OtlpNaming.metricName("cpu.utilization", "1", false, true)).isEqualTo("cpu_utilization_ratio");
        assertThat(OtlpNaming.metricName("cpu.count", "1", true, false)).isEqualTo("cpu_count_total");
        assertThat(OtlpNaming.metricName("2xx..responses", "", false, true)).isEqualTo("_2xx_responses");
        assertThat(OtlpNaming.metricName("temp", "Cel", false, true)).isEqualTo("temp_celsius");
    }

    @Test
    void attribute_keys_become_label_names() {
        assertThat(OtlpNaming.labelName("http.method")).isEqualTo("http_method");
        assertThat(OtlpNaming.labelName("0day")).isEqualTo("key_0day");
        assertThat(OtlpNaming.labelName("_private")).isEqualTo("key_private");
        assertThat(OtlpNaming.labelName("__reserved")).isEqualTo("__reserved");
    }

    @Test
    void bounds_print_as_prometheus_prints_them() {
        assertThat(OtlpNaming.number(0.005)).isEqualTo("0.005");
        assertThat(OtlpNaming.number(1000)).isEqualTo("1000");
        assertThat(OtlpNaming.number(2.5e-7)).isEqualTo("0.00000025");
        assertThat(OtlpNaming.number(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    }
}
