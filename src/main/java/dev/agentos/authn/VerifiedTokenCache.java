package dev.agentos.authn;

import dev.agentos.contract.Principal;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Verified tokens, so an RS/ES/EdDSA signature is checked once rather than on every request. Keyed by the
 * SHA-256 of the whole token (the raw token is never kept); bounded in size; an entry never outlives the
 * token's {@code exp} nor {@link #MAX_TTL_SECONDS}. Cleared whenever the key set changes.
 */
public final class VerifiedTokenCache {
  public static final long MAX_TTL_SECONDS = 300;

  private final Cache<String, Principal> cache;

  public VerifiedTokenCache(int maxSize) {
    this.cache = maxSize <= 0 ? null : Caffeine.newBuilder()
        .maximumSize(maxSize)
        .expireAfter(new Expiry<String, Principal>() {
          @Override
          public long expireAfterCreate(String key, Principal p, long currentTime) {
            long now = System.currentTimeMillis() / 1000;
            long ttl = p.expiresAt() > 0 ? Math.min(MAX_TTL_SECONDS, p.expiresAt() - now) : MAX_TTL_SECONDS;
            return TimeUnit.SECONDS.toNanos(Math.max(0, ttl));
          }

          @Override
          public long expireAfterUpdate(String key, Principal p, long currentTime, long currentDuration) {
            return currentDuration;
          }

          @Override
          public long expireAfterRead(String key, Principal p, long currentTime, long currentDuration) {
            return currentDuration;
          }
        })
        .build();
  }

  public static String keyOf(String token) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Principal get(String key) {
    if (cache == null) return null;
    Principal p = cache.getIfPresent(key);
    // exp is re-checked on read: the expiry above is clock-driven and must never let a token live past exp.
    if (p != null && p.expiresAt() > 0 && p.expiresAt() <= System.currentTimeMillis() / 1000) {
      cache.invalidate(key);
      return null;
    }
    return p;
  }

  public void put(String key, Principal principal) {
    if (cache != null) cache.put(key, principal);
  }

  public void clear() {
    if (cache != null) cache.invalidateAll();
  }

  public long size() {
    return cache == null ? 0 : cache.estimatedSize();
  }
}
