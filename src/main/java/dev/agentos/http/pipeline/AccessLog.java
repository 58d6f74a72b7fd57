package dev.agentos.http.pipeline;

import dev.agentos.authn.AuthenticationHandler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code agentos.access} logger: method, path (no query string: it may carry
 * secrets), status, latency, request id, and the user id when known. Also assigns the request id, echoing a
 * well-formed incoming {@code X-Request-Id}.
 */
public final class AccessLog implements RequestGate {
  public static final String REQUEST_ID_HEADER = "X-Request-Id";
  private static final Logger log = LoggerFactory.getLogger("agentos.access");
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final String STARTED = "agentos.access.started";

  private final String format;

  public AccessLog(String format) {
    this.format = format;
  }

  @Override
  public boolean admit(RoutingContext ctx) {
    if (ctx.get(STARTED) != null) { // a reroute passes here again
      return true;
    }
    long start = System.nanoTime();
    ctx.put(STARTED, start);
    String incoming = ctx.request().getHeader(REQUEST_ID_HEADER);
    String requestId = incoming != null && SAFE_ID.matcher(incoming).matches() ? incoming
        : Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    ctx.response().putHeader(REQUEST_ID_HEADER, requestId);
    if (!"off".equals(format)) {
      String method = ctx.request().method().name();
      String path = ctx.request().path();
      ctx.addEndHandler(ar -> {
        double ms = (System.nanoTime() - start) / 1_000_000.0;
        int status = ctx.response().getStatusCode();
        String user = AuthenticationHandler.principal(ctx).flatMap(p -> p.userId()).orElse("-");
        if ("json".equals(format)) {
          log.info(new JsonObject().put("method", method).put("path", path).put("status", status)
              .put("latency_ms", Math.round(ms * 1000) / 1000.0).put("request_id", requestId).put("user", user).encode());
        } else {
          log.info("{} {} {} {}ms request_id={} user={}", method, path, status, String.format("%.3f", ms), requestId, user);
        }
      });
    }
    return true;
  }
}
