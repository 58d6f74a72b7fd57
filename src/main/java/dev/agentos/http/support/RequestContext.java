package dev.agentos.http.support;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * What the pipeline established about a request, for route handlers: who is calling and what the policy decided.
 * A route reached without either (a pipeline that was changed, a route mounted before it) fails closed: 401 without
 * a principal, 503 without a decision, never a guess.
 */
public final class RequestContext {
  private static final String DECISION_KEY = "agentos.decision";
  private static final String SEAL_KEY = "agentos.decision.seal";

  private RequestContext() {}

  public static Principal principal(RoutingContext ctx) {
    return AuthenticationHandler.principal(ctx).orElseThrow(() -> new DetailedFailure(401, "Not authenticated"));
  }

  public static Decision decision(RoutingContext ctx) {
    return decided(ctx).orElseThrow(() -> new DetailedFailure(503, "Authorization service unavailable"));
  }

  /** The policy's decision, if the pipeline has one for this request (the access log reads it either way). */
  public static Optional<Decision> decided(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(DECISION_KEY));
  }

  /** The seal of the decision that allowed a sealed write; the storage verticle refuses the write without it. */
  public static Optional<JsonObject> seal(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(SEAL_KEY));
  }

  /** Recorded by the pipeline's policy step once the decision is an allow. */
  public static void record(RoutingContext ctx, Decision decision, Optional<JsonObject> seal) {
    ctx.put(DECISION_KEY, decision);
    seal.ifPresent(s -> ctx.put(SEAL_KEY, s));
  }
}
