package io.tierlog.server;

import io.tierlog.kafka.GroupView;
import io.tierlog.kafka.KafkaListener;

import java.util.List;
import java.util.Optional;

/**
 * The consumer groups as the Kafka listener holds them in memory (members, state), for the console's group pages:
 * the one seam between the HTTP side and the listener's coordinator. {@link #NONE} when the listener is off.
 */
interface LiveGroups {
    /** Every group with members or committed offsets, by id. */
    List<String> ids();

    /** The group now; empty when it has neither members nor committed offsets. */
    Optional<GroupView> describe(String group);

    /** Whether a listener is behind this (without one, groups have no members to show). */
    boolean available();

    LiveGroups NONE = new LiveGroups() {
        @Override
        public List<String> ids() {
            return List.of();
        }

        @Override
        public Optional<GroupView> describe(String group) {
            return Optional.empty();
        }

        @Override
        public boolean available() {
            return false;
        }
    };

    static LiveGroups of(KafkaListener kafka) {
        return new LiveGroups() {
            @Override
            public List<String> ids() {
                return kafka.groupIds();
            }

            @Override
            public Optional<GroupView> describe(String group) {
                return kafka.describeGroup(group);
            }

            @Override
            public boolean available() {
                return true;
            }
        };
    }
}
