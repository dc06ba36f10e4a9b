package io.tierlog.kafka;

import java.util.Optional;

import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;

import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * ListOffsets: the sentinels EARLIEST (-2, log start over both tiers), LATEST (-1, high watermark),
 * MAX_TIMESTAMP (-3), EARLIEST_LOCAL (-4, local log start), LATEST_TIERED (-5, last offset in the cold tier or -1),
 * and lookups by timestamp. Not found answers offset -1 and timestamp -1, as Kafka does.
 */
final class ListOffsetsHandler {

    /** The first version with the partition's leaderEpoch (not ignorable: set it below v4 and the writer throws). */
    private static final short LEADER_EPOCH_VERSION = 4;

    private final KafkaBackend backend;

    ListOffsetsHandler(KafkaBackend backend) {
        this.backend = backend;
    }

    Reply handle(ListOffsetsRequest request) {
        short version = request.version();
        ListOffsetsResponseData resp = new ListOffsetsResponseData();
        for (ListOffsetsRequestData.ListOffsetsTopic t : request.data().topics()) {
            ListOffsetsResponseData.ListOffsetsTopicResponse tr =
                    new ListOffsetsResponseData.ListOffsetsTopicResponse().setName(t.name());
            Optional<KafkaBackend.TopicView> topic = backend.topic(t.name());
            for (ListOffsetsRequestData.ListOffsetsPartition p : t.partitions()) {
                ListOffsetsResponseData.ListOffsetsPartitionResponse pr =
                        new ListOffsetsResponseData.ListOffsetsPartitionResponse()
                                .setPartitionIndex(p.partitionIndex()).setOffset(-1).setTimestamp(-1);
                if (topic.isEmpty() || p.partitionIndex() < 0 || p.partitionIndex() >= topic.get().partitions()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    try {
                        KafkaBackend.OffsetAndTimestamp found = lookup(t.name(), p.partitionIndex(), p.timestamp());
                        pr.setErrorCode(Errors.NONE.code()).setOffset(found.offset()).setTimestamp(found.timestamp());
                        if (version >= LEADER_EPOCH_VERSION) {
                            pr.setLeaderEpoch(0);
                        }
                    } catch (RuntimeException e) {
                        pr.setErrorCode(KafkaErrors.forFailure(e, TopicNaming.BY_NAME).code());
                    }
                }
                tr.partitions().add(pr);
            }
            resp.topics().add(tr);
        }
        return new Reply.Respond(new ListOffsetsResponse(resp));
    }

    private KafkaBackend.OffsetAndTimestamp lookup(String topic, int partition, long timestamp) {
        KafkaBackend.OffsetAndTimestamp none = new KafkaBackend.OffsetAndTimestamp(-1, -1);
        if (timestamp >= 0) {
            return backend.offsetForTimestamp(topic, partition, timestamp).orElse(none);
        }
        if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP) {
            return backend.maxTimestamp(topic, partition).orElse(none);
        }
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            // local state alone: answered while the cold tier is unavailable, as a producer's or a tailing consumer's
            // first request must be
            return new KafkaBackend.OffsetAndTimestamp(backend.highWatermark(topic, partition), -1);
        }
        KafkaBackend.PartitionOffsets o = backend.offsets(topic, partition);
        long offset;
        if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP) {
            offset = o.logStartOffset();
        } else if (timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            offset = o.localLogStartOffset();
        } else if (timestamp == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP) {
            offset = o.remoteEndOffset() > 0 ? o.remoteEndOffset() - 1 : -1;
        } else {
            throw new BackendException(BackendException.Reason.INVALID_REQUEST,
                    "unknown ListOffsets timestamp sentinel " + timestamp);
        }
        return new KafkaBackend.OffsetAndTimestamp(offset, -1);
    }
}
