package dev.agentos.authn;

import dev.agentos.contract.Principal;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.StorageApi;
import dev.agentos.contract.StorageRequest;
import dev.agentos.storage.StorageClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Verifies service-account tokens against PostgreSQL (through the storage verticle), with a short cache and
 * a per-address limit on failures (agno §2.6). Revocations published on
 * {@link StorageApi#SERVICE_ACCOUNT_REVOKED} clear the cache at once. One per HttpVerticle instance.
 */
public final class ServiceAccountVerifier {
  public static final String INVALID = "Invalid or expired service account token";
  public static final String THROTTLED = "Too many failed authentication attempts";
  public static final String UNAVAILABLE = "Authentication is temporarily unavailable";

  private record Verified(String accountId, Principal principal, Instant expiresAt) {}

  /** The principal claim that carries a service account's id (it names the parent of what the account mints). */
  public static final String ACCOUNT_ID_CLAIM = "service_account_id";

  private static final class Window {
    long startedMs;
    int failures;
  }

  private final StorageClient storage;
  private final Cache<String, Verified> cache;
  /** Hashes of well-formed tokens the database did not know: a repeat is refused without asking it again. */
  private final Cache<String, Boolean> knownBad;
  private final Cache<String, Window> failures;
  private final int failuresPerWindow;
  private final MessageConsumer<JsonObject> revocations;

  /** @param instances HTTP verticle instances on this node: the per-minute budget is shared between them. */
  public ServiceAccountVerifier(Vertx vertx, AgentOsConfig.Authorization config, int instances, StorageClient storage) {
    this.storage = storage;
    int ttl = config.serviceAccountCacheTtlSeconds();
    this.cache = ttl == 0 ? null : Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(ttl)).build();
    this.failures = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(2)).build();
    this.knownBad = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(10)).build();
    this.failuresPerWindow = Math.max(1, (config.serviceAccountFailuresPerMinute() + instances - 1) / instances);
    this.revocations = vertx.eventBus().consumer(StorageApi.SERVICE_ACCOUNT_REVOKED, msg -> {
      String id = msg.body() == null ? null : msg.body().getString("id");
      if (id != null && cache != null) cache.asMap().values().removeIf(v -> v.accountId.equals(id));
    });
  }

  /**
   * Verifies a service-account token. Garbage (not the shape {@link ServiceAccountTokens#generate} makes) and
   * tokens already found unknown are refused without a database look-up; every other well-formed token is looked
   * up, also from an address over its failure budget, so a valid token is never refused because others failed
   * from the same address (behind a proxy they all do). Past the budget, failures are answered 429 instead of 401.
   */
  public Future<Principal> verify(String token, String clientAddress) {
    if (!ServiceAccountTokens.wellFormed(token)) return failed(clientAddress);
    String hash = ServiceAccountTokens.hash(token);
    if (cache != null) {
      Verified hit = cache.getIfPresent(hash);
      if (hit != null && (hit.expiresAt == null || hit.expiresAt.isAfter(Instant.now()))) return Future.succeededFuture(hit.principal);
    }
    if (knownBad.getIfPresent(hash) != null) return failed(clientAddress);
    return storage.request(new StorageRequest.ServiceAccountsVerify(hash))
        .transform(ar -> {
          if (ar.succeeded()) {
            JsonObject account = ar.result();
            List<String> scopes = new ArrayList<>();
            account.getJsonArray("scopes").forEach(s -> scopes.add((String) s));
            String expires = account.getString("expires_at");
            // the account's id and expiry travel with its principal: what it mints is bounded by both; and the user it
            // acts for, whom the users directory's kill switch checks
            JsonObject claims = new JsonObject().put(ACCOUNT_ID_CLAIM, account.getString("id"));
            if (account.getString("minted_for") != null) {
              claims.put(Principal.MINTED_FOR_CLAIM, account.getString("minted_for"));
            }
            Principal p = new Principal(Principal.Kind.SERVICE_ACCOUNT, Optional.of("sa:" + account.getString("name")), scopes,
                List.of(), Optional.empty(), claims,
                expires == null ? 0 : Instant.parse(expires).getEpochSecond(),
                // its tenant is the one it was minted into, as stored: never a claim
                Optional.of(account.getString("tenant_id", dev.agentos.contract.Owner.IMPLICIT_TENANT)),
                Optional.of("sa:" + account.getString("id")));
            if (cache != null) cache.put(hash, new Verified(account.getString("id"), p, expires == null ? null : Instant.parse(expires)));
            return Future.succeededFuture(p);
          }
          if (StorageClient.code(ar.cause()) == StorageApi.NOT_FOUND) {
            knownBad.put(hash, Boolean.TRUE);
            return failed(clientAddress);
          }
          return Future.failedFuture(new AuthenticationException(503, UNAVAILABLE, null));
        });
  }

  /** Counts a failure for the address; 401, or 429 once the address is past its budget. */
  private Future<Principal> failed(String clientAddress) {
    boolean over = throttled(clientAddress); // the budget's failures get 401; the ones past it 429
    recordFailure(clientAddress);
    if (over) return Future.failedFuture(new AuthenticationException(429, THROTTLED, "invalid_token"));
    return Future.failedFuture(new AuthenticationException(INVALID));
  }

  private boolean throttled(String address) {
    Window w = failures.getIfPresent(address);
    return w != null && System.currentTimeMillis() - w.startedMs < 60_000 && w.failures >= failuresPerWindow;
  }

  private void recordFailure(String address) {
    Window w = failures.get(address, a -> new Window());
    long now = System.currentTimeMillis();
    if (now - w.startedMs >= 60_000) {
      w.startedMs = now;
      w.failures = 0;
    }
    w.failures++;
  }

  public void close() {
    revocations.unregister();
  }
}
