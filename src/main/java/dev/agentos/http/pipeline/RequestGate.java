package dev.agentos.http.pipeline;

import io.vertx.ext.web.RoutingContext;

/**
 * One synchronous step of the request pipeline before authentication: it lets the request on (true) or has
 * already answered or failed it (false). The gates run in one router step ({@link RequestPipeline}), so a request
 * pays for one route match, not one per gate.
 */
public interface RequestGate {
  boolean admit(RoutingContext ctx);
}
