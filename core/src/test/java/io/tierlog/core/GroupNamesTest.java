package io.tierlog.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class GroupNamesTest {

    @Test
    void names_tierlog_accepted_before_kafka_groups_are_their_own_file_names() {
        for (String name : new String[] {"console-consumer-12345", "my.app_v2", "wordcount-app", ".hidden", "a".repeat(200)}) {
            assertThat(GroupNames.escape(GroupNames.check(name))).isEqualTo(name);
        }
    }

    @Test
    void every_other_kafka_group_id_gets_a_file_safe_name() {
        assertThat(GroupNames.escape("../etc")).isEqualTo("..%2Fetc");
        assertThat(GroupNames.escape(".")).isEqualTo("%2E");
        assertThat(GroupNames.escape("..")).isEqualTo("%2E%2E");
        assertThat(GroupNames.escape("connect-my connector")).isEqualTo("connect-my%20connector");
        assertThat(GroupNames.escape("grüppe:1")).isEqualTo("gr%C3%BCppe%3A1");
        assertThat(GroupNames.escape("100%")).isEqualTo("100%25");
    }

    @Test
    void the_escaped_length_is_bounded_and_the_message_says_how_it_is_counted() {
        assertThat(GroupNames.check("a".repeat(GroupNames.MAX_ESCAPED_LENGTH))).hasSize(240);
        assertThatThrownBy(() -> GroupNames.check("a".repeat(GroupNames.MAX_ESCAPED_LENGTH + 1)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("at most 240");
        assertThatThrownBy(() -> GroupNames.check("ü".repeat(41))) // 41 * 2 bytes * 3 = 246
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("246 characters once escaped");
    }

    @Test
    void empty_control_characters_and_lone_surrogates_are_refused() {
        assertThatThrownBy(() -> GroupNames.check("")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> GroupNames.check(null)).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> GroupNames.check("a\tb")).hasMessageContaining("control character");
        assertThatThrownBy(() -> GroupNames.check("a\uD800b")).hasMessageContaining("surrogate");
    }

    @Test
    void what_is_not_an_escaped_name_is_refused() {
        assertThatThrownBy(() -> GroupNames.unescape("a b")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> GroupNames.unescape("a%2")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> GroupNames.unescape("a%ZZ")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> GroupNames.unescape("%FF")).isInstanceOf(InvalidInputException.class);
    }

    @Property
    void escaping_is_a_file_safe_bijection(@ForAll @StringLength(min = 1, max = 60) String name) {
        boolean valid;
        try {
            GroupNames.check(name);
            valid = true;
        } catch (InvalidInputException e) {
            valid = false;
        }
        if (!valid) {
            return;
        }
        String escaped = GroupNames.escape(name);
        assertThat(escaped).matches("[a-zA-Z0-9._%-]+").isNotIn(".", "..");
        assertThat(GroupNames.unescape(escaped)).isEqualTo(name);
    }
}
