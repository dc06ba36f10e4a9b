package io.tierlog.kafka;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;

/** A plain blocking socket that speaks Kafka frames, for tests that need to send what no client would. */
final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    RawClient(int port) throws IOException {
        this(port, 0);
    }

    /** With {@code receiveBuffer} > 0, a small socket receive buffer so the listener's writes fill it quickly. */
    RawClient(int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    static RequestHeader header(AbstractRequest request, int correlationId) {
        return new RequestHeader(request.apiKey(), request.version(), "raw-test", correlationId);
    }

    /** A request frame's payload (header and body, no size prefix). */
    static byte[] payload(AbstractRequest request, int correlationId) {
        ByteBuffer b = request.serializeWithHeader(header(request, correlationId));
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    void send(AbstractRequest request, int correlationId) throws IOException {
        sendFrame(payload(request, correlationId));
    }

    void sendFrame(byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    byte[] receiveFrame() throws IOException {
        int size = in.readInt();
        byte[] b = new byte[size];
        in.readFully(b);
        return b;
    }

    AbstractResponse receive(AbstractRequest request, int correlationId) throws IOException {
        return AbstractResponse.parseResponse(ByteBuffer.wrap(receiveFrame()), header(request, correlationId));
    }

    <R extends AbstractResponse> R roundTrip(AbstractRequest request, int correlationId, Class<R> type) throws IOException {
        send(request, correlationId);
        return type.cast(receive(request, correlationId));
    }

    /** Whether the listener closes the connection (end of stream or reset) within the socket timeout. */
    boolean closedByListener() throws IOException {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (EOFException | SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    void timeout(int millis) throws SocketException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    // ---- requests no client library builds this way

    static ProduceRequest produce(short version, String topic, Uuid topicId, short acks, MemoryRecords records) {
        ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData()
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records)));
        if (version >= 13) {
            td.setTopicId(topicId);
        } else {
            td.setName(topic);
        }
        ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
        topics.add(td);
        return new ProduceRequest(new ProduceRequestData().setAcks(acks).setTimeoutMs(10_000).setTopicData(topics), version);
    }

    static MemoryRecords records(String... values) {
        SimpleRecord[] rs = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            rs[i] = new SimpleRecord(1000L + i, ("k" + i).getBytes(StandardCharsets.UTF_8),
                    values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(Compression.NONE, rs);
    }

    static FetchRequest fetch(short version, String topic, long offset, int maxWaitMs, int minBytes) {
        FetchRequestData data = new FetchRequestData()
                .setMaxWaitMs(maxWaitMs).setMinBytes(minBytes).setMaxBytes(1 << 20)
                .setSessionId(0).setSessionEpoch(-1)
                .setTopics(new ArrayList<>(List.of(new FetchRequestData.FetchTopic().setTopic(topic)
                        .setPartitions(new ArrayList<>(List.of(new FetchRequestData.FetchPartition().setPartition(0)
                                .setFetchOffset(offset).setPartitionMaxBytes(1 << 20)))))));
        if (version < 15) {
            data.setReplicaId(-1);
        }
        return new FetchRequest(data, version);
    }
}
