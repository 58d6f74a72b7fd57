package dev.agentos.http.pipeline;

import dev.agentos.http.support.ErrorResponses;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Connection-level limits of one HTTP verticle instance (its share of the node's budget): how many
 * connections may be open, and how long a new connection may take to deliver its first request head.
 * Everything here runs on the instance's event loop, so plain fields suffice.
 */
public final class ConnectionLimits implements RequestGate {
  private final Vertx vertx;
  private final int maxConnections;
  private final long headerTimeoutMs;
  /** Open connections → the timer that closes them if no request head arrives (-1 once one has). */
  private final Map<HttpConnection, Long> open = new IdentityHashMap<>();
  private final Map<HttpConnection, Boolean> overLimit = new IdentityHashMap<>();

  public ConnectionLimits(Vertx vertx, int maxConnections, long headerTimeoutMs) {
    this.vertx = vertx;
    this.maxConnections = maxConnections;
    this.headerTimeoutMs = headerTimeoutMs;
  }

  /** The server's connection handler. */
  public void connected(HttpConnection connection) {
    long timer = vertx.setTimer(headerTimeoutMs, t -> {
      Long pending = open.get(connection);
      if (pending != null && pending != -1L) connection.close();
    });
    open.put(connection, timer);
    // counted after adding, so the limit is the number of connections allowed to be served
    if (open.size() > maxConnections) overLimit.put(connection, Boolean.TRUE);
    connection.closeHandler(v -> {
      Long pending = open.remove(connection);
      if (pending != null && pending != -1L) vertx.cancelTimer(pending);
      overLimit.remove(connection);
    });
  }

  /**
   * First router step: a request head has arrived, so the header timer is done; a connection past the
   * limit is answered 503 and closed.
   */
  @Override
  public boolean admit(RoutingContext ctx) {
    HttpConnection connection = ctx.request().connection();
    Long pending = open.get(connection);
    if (pending != null && pending != -1L) {
      vertx.cancelTimer(pending);
      open.put(connection, -1L);
    }
    // probes are answered even past the limit: a busy pod must not be restarted (liveness) or taken out of
    // every Service at once (readiness) because it is busy
    String path = ctx.request().path();
    if (overLimit.containsKey(connection) && !RequestPipeline.HEALTH_PATH.equals(path) && !RequestPipeline.READY_PATH.equals(path)) {
      ErrorResponses.sendAndClose(ctx.request(), 503, "Too many connections");
      return false;
    }
    return true;
  }

  int openConnections() {
    return open.size();
  }
}
