package io.tierlog.cold;

import java.net.URI;
import java.time.Duration;

/**
 * How to reach the S3-compatible bucket that holds the cold tier. {@code endpoint} null means AWS's own
 * endpoint for {@code region}; {@code accessKey}/{@code secretKey} null means the SDK's default credentials
 * chain (environment, system properties, profile, container/instance roles). {@code checksumsWhenRequired}
 * switches the SDK's request checksum calculation and response checksum validation from WHEN_SUPPORTED (the
 * SDK default: CRC32 on every upload and download) to WHEN_REQUIRED, which older S3-compatible servers need
 * (S3Proxy 2.x, some Ceph/MinIO releases); S3Proxy 4.1 and AWS work with either.
 */
public record S3Config(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                       boolean pathStyle, Duration apiCallTimeout, int maxAttempts,
                       long multipartThresholdBytes, long partSizeBytes, boolean checksumsWhenRequired) {

    /** Smallest part S3 accepts (except the last one). */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

    public S3Config {
        if (region == null || region.isBlank()) {
            throw new IllegalArgumentException("S3 region is required (any fixed name, e.g. us-east-1, for S3-compatible servers)");
        }
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("S3 bucket is required");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("S3 accessKey and secretKey must both be set or both be absent");
        }
        if (apiCallTimeout == null || apiCallTimeout.isNegative() || apiCallTimeout.isZero()) {
            throw new IllegalArgumentException("S3 apiCallTimeout must be > 0, was " + apiCallTimeout);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("S3 maxAttempts must be >= 1, was " + maxAttempts);
        }
        if (partSizeBytes < MIN_PART_SIZE || partSizeBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("S3 partSizeBytes must be in " + MIN_PART_SIZE + ".." + Integer.MAX_VALUE
                    + ", was " + partSizeBytes);
        }
        if (multipartThresholdBytes < partSizeBytes) {
            throw new IllegalArgumentException("S3 multipartThresholdBytes (" + multipartThresholdBytes
                    + ") must be >= partSizeBytes (" + partSizeBytes + ")");
        }
    }

    /** The usual settings: SDK-default checksums, 16 MiB parts above a 32 MiB threshold. */
    public S3Config(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                    boolean pathStyle, Duration apiCallTimeout, int maxAttempts,
                    long multipartThresholdBytes, long partSizeBytes) {
        this(endpoint, region, bucket, accessKey, secretKey, pathStyle, apiCallTimeout, maxAttempts,
                multipartThresholdBytes, partSizeBytes, false);
    }

    /** Defaults for an S3-compatible server at {@code endpoint} with static keys (path-style, us-east-1). */
    public static S3Config compatible(URI endpoint, String bucket, String accessKey, String secretKey) {
        return new S3Config(endpoint, "us-east-1", bucket, accessKey, secretKey, true, Duration.ofSeconds(60), 5,
                32L * 1024 * 1024, 16L * 1024 * 1024, false);
    }

    public S3Config withMultipart(long thresholdBytes, long partBytes) {
        return new S3Config(endpoint, region, bucket, accessKey, secretKey, pathStyle, apiCallTimeout, maxAttempts,
                thresholdBytes, partBytes, checksumsWhenRequired);
    }

    public S3Config withChecksumsWhenRequired(boolean v) {
        return new S3Config(endpoint, region, bucket, accessKey, secretKey, pathStyle, apiCallTimeout, maxAttempts,
                multipartThresholdBytes, partSizeBytes, v);
    }

    public S3Config withRetries(int attempts, Duration callTimeout) {
        return new S3Config(endpoint, region, bucket, accessKey, secretKey, pathStyle, callTimeout, attempts,
                multipartThresholdBytes, partSizeBytes, checksumsWhenRequired);
    }

    @Override
    public String toString() {
        return "S3Config[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket
                + ", accessKey=" + (accessKey == null ? "<default chain>" : "***") + ", pathStyle=" + pathStyle
                + ", apiCallTimeout=" + apiCallTimeout + ", maxAttempts=" + maxAttempts
                + ", multipartThresholdBytes=" + multipartThresholdBytes + ", partSizeBytes=" + partSizeBytes
                + ", checksumsWhenRequired=" + checksumsWhenRequired + "]";
    }
}
