package dev.agentos.http.pipeline;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import dev.agentos.http.support.DetailedFailure;
import dev.agentos.http.support.RequestContext;
import dev.agentos.policy.PolicyClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the policy verticle about every authenticated request. Denied → 403 with agno's text and
 * {@code X-Decision-Id} (401 when the caller's user is disabled in the users directory); no answer (no policy verticle, timeout, malformed reply) → 503. Never an allow by
 * default.
 */
public final class PolicyHandler implements Handler<RoutingContext> {
  public static final String DECISION_ID_HEADER = "X-Decision-Id";
  /** The tenant a request asks to act in; only a platform admin may name another than its own (docs/isolation.md). */
  public static final String TENANT_HEADER = "X-Tenant-Id";
  private static final Logger log = LoggerFactory.getLogger(PolicyHandler.class);

  private final PolicyClient policy;
  private final AuthenticationHandler authentication;
  private final Timer roundTrip;

  public PolicyHandler(PolicyClient policy, AuthenticationHandler authentication, String metricsRegistry) {
    this.policy = policy;
    this.authentication = authentication;
    MeterRegistry registry = BackendRegistries.getNow(metricsRegistry);
    this.roundTrip = registry == null ? null : Timer.builder("agentos_policy_roundtrip")
        .description("authorize request over the event bus, as seen by the HTTP verticle").register(registry);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    Optional<Principal> principal = AuthenticationHandler.principal(ctx);
    if (principal.isEmpty()) {
      if (authentication.isExcluded(path)) {
        ctx.next();
      } else {
        ctx.fail(new DetailedFailure(401, "Not authenticated"));
      }
      return;
    }
    long start = System.nanoTime();
    String method = ctx.request().method().name();
    List<String> tenants = ctx.request().headers().getAll(TENANT_HEADER);
    if (tenants.size() > 1) {
      ctx.fail(new DetailedFailure(400, "More than one " + TENANT_HEADER + " header"));
      return;
    }
    Optional<String> tenant = tenants.isEmpty() ? Optional.empty() : Optional.of(tenants.get(0));
    policy.authorizeRequest(principal.get(), method, path, tenant).onComplete(ar -> {
      if (roundTrip != null) roundTrip.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
      if (ar.failed()) {
        log.warn("policy decision unavailable for {} {}: {}", ctx.request().method(), path, why(ar.cause()));
        ctx.fail(new DetailedFailure(503, "Authorization service unavailable"));
        return;
      }
      Decision d = ar.result().decision();
      if (d.revoked()) {
        // a disabled user's token is valid but no longer honoured: as for a revoked credential, 401
        ctx.response().putHeader(DECISION_ID_HEADER, d.decisionId());
        ctx.fail(new dev.agentos.authn.AuthenticationException(401, d.detail(), "invalid_token"));
        return;
      }
      if (!d.allowed()) {
        String detail = d.detail() != null ? d.detail() : "Insufficient permissions";
        ctx.fail(new DetailedFailure(403, detail, Map.of(DECISION_ID_HEADER, d.decisionId())));
        return;
      }
      RequestContext.record(ctx, d, ar.result().seal());
      ctx.next();
    });
  }

  /** The cause in words an operator can act on (Vert.x says "No handlers for address agentos.policy.v1"). */
  private static String why(Throwable cause) {
    if (cause instanceof io.vertx.core.eventbus.ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
      return "no policy verticle is answering; one takes requests only once it has loaded its roles from storage "
          + "(is the database reachable? see /ready)";
    }
    if (cause instanceof io.vertx.core.eventbus.ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.TIMEOUT) {
      return "the policy verticle did not answer within authorization.policy_timeout_ms";
    }
    return cause.getMessage();
  }
}
