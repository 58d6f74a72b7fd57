package dev.agentos.policy;

import dev.agentos.contract.AuthorizeReply;
import dev.agentos.contract.AuthorizeRequest;
import dev.agentos.contract.CheckReply;
import dev.agentos.contract.CheckRequest;
import dev.agentos.contract.Contract;
import dev.agentos.contract.ContractMessage;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Document;
import dev.agentos.contract.PolicyApi;
import dev.agentos.contract.StorageRequest;
import dev.agentos.contract.Principal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.function.Function;

/**
 * What other verticles use to ask the policy verticle, wherever it runs, in the contract's typed messages. A
 * failure (no policy verticle, timeout, a reply of another contract version, a malformed reply) is a failed
 * future: callers must treat it as "not allowed" (503 on HTTP).
 */
public final class PolicyClient {
  private final Vertx vertx;
  private final long timeoutMs;

  public PolicyClient(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    Contract.registerCodecs(vertx);
  }

  public Future<Decision> authorize(Principal principal, String method, String path) {
    return send(PolicyApi.AUTHORIZE, new AuthorizeRequest(principal, method, path, false), AuthorizeReply.class,
        AuthorizeReply::fromJson).map(AuthorizeReply::decision);
  }

  /**
   * The whole reply for a request of the HTTP path: the decision and, for an allowed sealed write
   * ({@link dev.agentos.contract.SealedWrites}), its seal, which is asked for only then.
   */
  public Future<AuthorizeReply> authorizeRequest(Principal principal, String method, String path) {
    return authorizeRequest(principal, method, path, Optional.empty());
  }

  /**
   * The same, for a request that names the tenant it acts in ({@code X-Tenant-Id}); its subject may be added to the users
   * directory (its first request).
   */
  public Future<AuthorizeReply> authorizeRequest(Principal principal, String method, String path, Optional<String> tenant) {
    boolean seal = dev.agentos.contract.SealedWrites.needsSeal(method, path);
    return send(PolicyApi.AUTHORIZE, new AuthorizeRequest(principal, method, path, seal, tenant, true), AuthorizeReply.class,
        AuthorizeReply::fromJson);
  }

  /** {@code action} like {@code agents:run}; {@code resourceId} may be null. Resolves to true only on an explicit allow. */
  public Future<Boolean> check(Principal principal, String action, String resourceId) {
    return send(PolicyApi.CHECK, new CheckRequest(principal, action, Optional.ofNullable(resourceId)), CheckReply.class,
        CheckReply::fromJson).map(CheckReply::allowed);
  }

  /**
   * A role write ({@link PolicyApi#ROLES_PUT}, {@link PolicyApi#ROLES_DELETE}, {@link PolicyApi#ROLES_ASSIGN}) through
   * the policy verticle; {@code timeoutMs} covers its storage write too. Fails with the storage failure's code.
   */
  public Future<JsonObject> writeRoles(String action, StorageRequest write, long timeoutMs) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs).addHeader(PolicyApi.ACTION_HEADER, action);
    return dev.agentos.contract.RequestBinding.request(vertx.eventBus(), PolicyApi.ADDRESS, write, options).map(reply -> {
      if (reply.body() instanceof Document document) return document.json();
      if (reply.body() instanceof JsonObject json) return json;
      throw new IllegalStateException("unexpected policy reply");
    });
  }

  public Future<Void> ping() {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs).addHeader(PolicyApi.ACTION_HEADER, PolicyApi.PING);
    return dev.agentos.contract.RequestBinding.request(vertx.eventBus(), PolicyApi.ADDRESS, new JsonObject(), options).mapEmpty();
  }

  /** This event loop's co-located address, derived once per thread (its name never changes). */
  private static final ThreadLocal<String> CO_LOCATED_ADDRESS =
      ThreadLocal.withInitial(() -> PolicyApi.coLocatedAddress(Thread.currentThread().getName()));

  /** How long a thread without a co-located policy instance goes to {@link PolicyApi#ADDRESS} before looking again. */
  private static final long CO_LOCATED_RETRY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
  /** Event loop threads of this client's callers that have no policy instance of their own, until when. */
  private final java.util.concurrent.ConcurrentHashMap<String, Long> noCoLocated = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * On an event loop with a policy instance of its own, asks that one ({@link PolicyApi#coLocatedAddress});
   * otherwise, or when it has none, the shared address (any instance, on any node).
   */
  private <R extends ContractMessage> Future<R> send(String action, ContractMessage body, Class<R> replyType,
                                                     Function<JsonObject, R> fromJson) {
    if (io.vertx.core.Context.isOnEventLoopThread()) {
      String thread = Thread.currentThread().getName();
      Long until = noCoLocated.get(thread);
      if (until == null || System.nanoTime() - until > 0) {
        return send(CO_LOCATED_ADDRESS.get(), true, action, body, replyType, fromJson).recover(e -> {
          if (!(e instanceof io.vertx.core.eventbus.ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS)) {
            return Future.failedFuture(e);
          }
          noCoLocated.put(thread, System.nanoTime() + CO_LOCATED_RETRY_NANOS);
          return send(PolicyApi.ADDRESS, false, action, body, replyType, fromJson);
        });
      }
    }
    return send(PolicyApi.ADDRESS, false, action, body, replyType, fromJson);
  }

  /** A typed reply, or its JSON form from a sender that speaks JSON (the contract allows both). */
  private <R extends ContractMessage> Future<R> send(String address, boolean localOnly, String action, ContractMessage body,
                                                     Class<R> replyType, Function<JsonObject, R> fromJson) {
    // the co-located instance's address is node-local on both sides: the request never leaves this JVM, so no other
    // cluster member can answer it, and in a cluster the fast path holds too
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs).addHeader(PolicyApi.ACTION_HEADER, action)
        .setLocalOnly(localOnly);
    return dev.agentos.contract.RequestBinding.request(vertx.eventBus(), address, body, options).map(msg -> {
      Object reply = msg.body();
      if (replyType.isInstance(reply)) return replyType.cast(reply);
      if (reply instanceof JsonObject json) return fromJson.apply(json);
      throw new IllegalStateException("unexpected policy reply");
    });
  }
}
