package dev.agentos.http;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import io.vertx.ext.web.RoutingContext;

/**
 * What the pipeline established about a request, for route handlers: who is calling and what the policy decided.
 * A route reached without either (a pipeline that was changed, a route mounted before it) fails closed: 401 without
 * a principal, 503 without a decision, never a guess.
 */
final class RequestContext {
  private RequestContext() {}

  static Principal principal(RoutingContext ctx) {
    return AuthenticationHandler.principal(ctx).orElseThrow(() -> new DetailedFailure(401, "Not authenticated"));
  }

  static Decision decision(RoutingContext ctx) {
    return PolicyHandler.decision(ctx).orElseThrow(() -> new DetailedFailure(503, "Authorization service unavailable"));
  }
}
