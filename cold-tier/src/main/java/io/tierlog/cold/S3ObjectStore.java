package io.tierlog.cold;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * {@link ObjectStore} on the AWS SDK for Java v2 (sync client, Apache HTTP client set explicitly so that the
 * SDK never picks whichever client happens to be on the class path). Works against AWS S3 and S3-compatible
 * servers (S3Proxy, MinIO): endpoint override, path-style access, fixed region, static keys or the default
 * credentials chain, standard retry strategy with exponential backoff, and multipart upload above a threshold.
 */
public final class S3ObjectStore implements ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);
    private static final int DELETE_BATCH = 1000;

    private final S3Client s3;
    private final S3Config config;

    private S3ObjectStore(S3Client s3, S3Config config) {
        this.s3 = s3;
        this.config = config;
    }

    /** Builds the client described by {@code c}, verifying the endpoint's TLS certificate; does not contact the server. */
    public static S3ObjectStore create(S3Config c) {
        return create(c, true);
    }

    /**
     * As {@link #create(S3Config)}; {@code verifyCertificates} false accepts any certificate from an https endpoint
     * (a test store with a self-signed certificate). That gives up protection against an impostor endpoint, so it is
     * logged at WARN.
     */
    public static S3ObjectStore create(S3Config c, boolean verifyCertificates) {
        if (!verifyCertificates) {
            LOG.warn("the S3 endpoint's TLS certificate is NOT verified (s3.tls.verify=false): anyone able to intercept "
                    + "the connection to {} can read and change the cold tier", c.endpoint());
        }
        AwsCredentialsProvider credentials = c.accessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKey(), c.secretKey()))
                : DefaultCredentialsProvider.builder().build();
        Duration attemptTimeout = c.apiCallTimeout();
        var http = ApacheHttpClient.builder()
                .maxConnections(64)
                .connectionTimeout(Duration.ofSeconds(5))
                .socketTimeout(attemptTimeout)
                .tcpKeepAlive(true);
        // the SDK builds and closes the HTTP client it is given as a builder; TRUST_ALL_CERTIFICATES is its own switch
        software.amazon.awssdk.http.SdkHttpClient.Builder<?> httpBuilder = verifyCertificates ? http : new TrustAll(http);
        var builder = S3Client.builder()
                .httpClientBuilder(httpBuilder)
                .region(Region.of(c.region()))
                .forcePathStyle(c.pathStyle())
                .credentialsProvider(credentials)
                .requestChecksumCalculation(c.checksumsWhenRequired()
                        ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED)
                .responseChecksumValidation(c.checksumsWhenRequired()
                        ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED)
                .overrideConfiguration(o -> o
                        .apiCallTimeout(c.apiCallTimeout().multipliedBy(c.maxAttempts()))
                        .apiCallAttemptTimeout(attemptTimeout)
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(c.maxAttempts())
                                .backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(50), Duration.ofSeconds(5)))
                                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(200), Duration.ofSeconds(10)))
                                .build()));
        if (c.endpoint() != null) {
            builder.endpointOverride(c.endpoint());
        }
        return new S3ObjectStore(builder.build(), c);
    }

    /** Creates the bucket when it does not exist yet (for embedded and test setups; production buckets are provisioned). */
    public void createBucketIfMissing() {
        try {
            s3.headBucket(b -> b.bucket(config.bucket()));
        } catch (NoSuchBucketException e) {
            s3.createBucket(b -> b.bucket(config.bucket()));
            LOG.info("created bucket {}", config.bucket());
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw wrap("head bucket", config.bucket(), e);
            }
            s3.createBucket(b -> b.bucket(config.bucket()));
            LOG.info("created bucket {}", config.bucket());
        } catch (SdkException e) {
            throw wrap("head bucket", config.bucket(), e);
        }
    }

    public S3Config config() {
        return config;
    }

    @Override
    public void put(String key, byte[] bytes) {
        try {
            s3.putObject(b -> b.bucket(config.bucket()).key(key).contentLength((long) bytes.length),
                    RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw wrap("put", key, e);
        }
    }

    @Override
    public void putFile(String key, Path file, long length, byte[] trailer) {
        long total = length + trailer.length;
        try {
            if (total <= config.multipartThresholdBytes()) {
                s3.putObject(b -> b.bucket(config.bucket()).key(key).contentLength(total),
                        RequestBody.fromContentProvider(provider(file, length, trailer, 0, total), total,
                                "application/octet-stream"));
            } else {
                multipart(key, file, length, trailer, total);
            }
        } catch (SdkException | UncheckedIOException e) {
            throw wrap("put " + file, key, e);
        }
    }

    private void multipart(String key, Path file, long length, byte[] trailer, long total) {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(config.bucket()).key(key)).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            long partSize = config.partSizeBytes();
            int partNumber = 1;
            for (long from = 0; from < total; from += partSize, partNumber++) {
                long len = Math.min(partSize, total - from);
                int pn = partNumber;
                String etag = s3.uploadPart(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId)
                                .partNumber(pn).contentLength(len),
                        RequestBody.fromContentProvider(provider(file, length, trailer, from, len), len,
                                "application/octet-stream")).eTag();
                parts.add(CompletedPart.builder().partNumber(pn).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            LOG.debug("multipart upload of {} done: {} parts, {} bytes", key, parts.size(), total);
        } catch (RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId));
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    /** A fresh stream per attempt over bytes [from, from+len) of (file[0, length) ++ trailer). */
    private static ContentStreamProvider provider(Path file, long length, byte[] trailer, long from, long len) {
        return () -> {
            try {
                List<InputStream> parts = new ArrayList<>(2);
                if (from < length) {
                    long fileLen = Math.min(len, length - from);
                    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                    ch.position(from);
                    parts.add(new BoundedInputStream(Channels.newInputStream(ch), fileLen));
                }
                long end = from + len;
                if (end > length) {
                    int tFrom = (int) Math.max(0, from - length);
                    int tLen = (int) (end - Math.max(from, length));
                    parts.add(new ByteArrayInputStream(trailer, tFrom, tLen));
                }
                return parts.size() == 1 ? parts.get(0) : new SequenceInputStream(parts.get(0), parts.get(1));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        };
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("invalid range offset=" + offset + " length=" + length + " for " + key);
        }
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(config.bucket()).key(key)
                .range("bytes=" + offset + "-" + (offset + length - 1)))) {
            // read straight into an array of the announced size (no growing buffer copies)
            Long announced = in.response().contentLength();
            return in.readNBytes(announced == null ? length : (int) Math.min(length, announced));
        } catch (IOException e) {
            throw new ObjectStoreException("S3 get range " + offset + "+" + length + " of " + config.bucket() + "/" + key
                    + " failed while reading the body: " + e.getMessage(), e);
        } catch (NoSuchKeyException e) {
            throw new ObjectNotFoundException("no object " + key + " in bucket " + config.bucket());
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return new byte[0];
            }
            throw wrap("get range " + offset + "+" + length, key, e);
        } catch (SdkException e) {
            throw wrap("get range " + offset + "+" + length, key, e);
        }
    }

    @Override
    public byte[] get(String key) {
        try {
            return s3.getObject(b -> b.bucket(config.bucket()).key(key), ResponseTransformer.toBytes()).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new ObjectNotFoundException("no object " + key + " in bucket " + config.bucket());
        } catch (SdkException e) {
            throw wrap("get", key, e);
        }
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        try {
            HeadObjectResponse r = s3.headObject(b -> b.bucket(config.bucket()).key(key));
            return Optional.of(new ObjectMeta(key, r.contentLength()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw wrap("head", key, e);
        } catch (SdkException e) {
            throw wrap("head", key, e);
        }
    }

    @Override
    public List<ObjectMeta> list(String prefix) {
        try {
            List<ObjectMeta> out = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(config.bucket()).prefix(prefix)).contents()) {
                out.add(new ObjectMeta(o.key(), o.size()));
            }
            return out;
        } catch (SdkException e) {
            throw wrap("list", prefix + "*", e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            s3.deleteObject(b -> b.bucket(config.bucket()).key(key));
        } catch (NoSuchKeyException e) {
            // already gone: delete is idempotent
        } catch (SdkException e) {
            throw wrap("delete", key, e);
        }
    }

    @Override
    public void deleteAll(Collection<String> keys) {
        List<String> all = new ArrayList<>(keys);
        for (int i = 0; i < all.size(); i += DELETE_BATCH) {
            List<ObjectIdentifier> ids = all.subList(i, Math.min(all.size(), i + DELETE_BATCH)).stream()
                    .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
            DeleteObjectsResponse r;
            try {
                r = s3.deleteObjects(b -> b.bucket(config.bucket()).delete(Delete.builder().objects(ids).quiet(true).build()));
            } catch (SdkException e) {
                throw wrap("delete " + ids.size() + " objects", ids.get(0).key() + "...", e);
            }
            var errors = r.errors().stream().filter(err -> !"NoSuchKey".equals(err.code())).toList();
            if (!errors.isEmpty()) {
                throw new ObjectStoreException("delete of " + errors.size() + " objects failed, first: "
                        + errors.get(0).key() + " " + errors.get(0).code() + " " + errors.get(0).message());
            }
        }
    }

    private ObjectStoreException wrap(String op, String key, Exception e) {
        return new ObjectStoreException("S3 " + op + " of " + config.bucket() + "/" + key + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        s3.close();
    }

    /** Builds the HTTP client with the SDK's switch that accepts any server certificate. */
    private record TrustAll(ApacheHttpClient.Builder http)
            implements software.amazon.awssdk.http.SdkHttpClient.Builder<TrustAll> {
        @Override
        public software.amazon.awssdk.http.SdkHttpClient buildWithDefaults(software.amazon.awssdk.utils.AttributeMap defaults) {
            return http.buildWithDefaults(software.amazon.awssdk.utils.AttributeMap.builder()
                    .put(software.amazon.awssdk.http.SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, Boolean.TRUE)
                    .build().merge(defaults));
        }
    }

    /** Limits a stream to {@code remaining} bytes (the SDK must not read past the part's range). */
    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedInputStream(InputStream in, long remaining) {
            this.in = in;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
