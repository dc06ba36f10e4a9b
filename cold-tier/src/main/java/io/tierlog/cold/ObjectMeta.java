package io.tierlog.cold;

/** What a listing or HEAD says about one stored object: enough to find orphans and check uploads. */
public record ObjectMeta(String key, long size) {
}
