package dev.agentos.http.support;

import java.util.List;

import dev.agentos.authn.AuthenticationException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns failures into responses: agno's {@code {"detail": "..."}} body, RFC 6750
 * {@code WWW-Authenticate} on 401, and never a stack trace.
 */
public final class ErrorResponses {
  private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

  private ErrorResponses() {}

  /** RFC 6750's challenge, with its {@code error} when there is one and RFC 9728's {@code resource_metadata} when configured. */
  private static String challenge(String error, String resourceMetadata) {
    List<String> params = new java.util.ArrayList<>();
    if (error != null) params.add("error=\"" + error + "\"");
    if (resourceMetadata != null) params.add("resource_metadata=\"" + resourceMetadata + "\"");
    return params.isEmpty() ? "Bearer" : "Bearer " + String.join(", ", params);
  }

  /** Router failure handler and error handler for 404/405/413/500. */
  public static void handle(RoutingContext ctx) {
    handle(ctx, null);
  }

  /**
   * The same; a 401's challenge also names {@code resourceMetadata} (RFC 9728 §5.1), where a client learns which
   * authorization server issues tokens for this service.
   */
  public static void handle(RoutingContext ctx, String resourceMetadata) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    Throwable failure = ctx.failure();
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    if (failure instanceof AuthenticationException auth) {
      if (auth.status() == 401) {
        ctx.response().putHeader("WWW-Authenticate", challenge(auth.rfc6750Error(), resourceMetadata));
      }
      send(ctx.response(), auth.status(), auth.detail());
      return;
    }
    if (failure instanceof HttpException http) {
      status = http.getStatusCode();
      String payload = http.getPayload();
      if (status == 413) refuseOversized(ctx, payload != null ? payload : defaultDetail(413));
      else send(ctx.response(), status, payload != null ? payload : defaultDetail(status));
      return;
    }
    if (failure instanceof ValidationFailure invalid) {
      ctx.response().setStatusCode(422).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(new JsonObject().put("detail", invalid.errors()).encode());
      return;
    }
    if (status == 400 && failure != null && !(failure instanceof DetailedFailure)) {
      DetailedFailure form = FormLimits.refusal(failure);
      if (form != null) failure = form;
    }
    if (failure instanceof DetailedFailure detailed && detailed.status() == 413) {
      refuseOversized(ctx, detailed.detail());
      return;
    }
    if (failure instanceof DetailedFailure detailed) {
      detailed.headers().forEach(ctx.response()::putHeader);
      if (detailed.status() == 401 && !ctx.response().headers().contains("WWW-Authenticate")) {
        ctx.response().putHeader("WWW-Authenticate", challenge(null, resourceMetadata));
      }
      send(ctx.response(), detailed.status(), detailed.detail());
      return;
    }
    if (status >= 500 && failure != null) {
      log.error("request {} {} failed", ctx.request().method(), dev.agentos.contract.LogSafe.clean(ctx.request().path()), failure);
    }
    if (status == 413) {
      refuseOversized(ctx, defaultDetail(413));
      return;
    }
    send(ctx.response(), status, defaultDetail(status));
  }

  /** Writes {@code {"detail": ...}} with the status; completes when the response is written. */
  public static Future<Void> send(HttpServerResponse response, int status, String detail) {
    if (response.ended()) return Future.succeededFuture();
    return response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("detail", detail).encode());
  }

  /**
   * Answers and then closes the connection: a {@code Connection: close} header alone does not make the
   * server close a keep-alive connection, and a refused client must go elsewhere.
   */
  public static void sendAndClose(HttpServerRequest request, int status, String detail) {
    if (request.response().ended()) return;
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    send(request.response(), status, detail).onComplete(ar -> request.connection().close());
  }

  /** After a 413, at most this many more bytes of the body are read (and dropped) before the connection closes. */
  static final long OVERSIZED_DRAIN_BYTES = 1L << 20;
  static final long OVERSIZED_DRAIN_MS = 2_000;

  /**
   * Answers 413 and closes the connection without reading the rest of the body. Closing at once would let the
   * TCP reset destroy the answer before a client that is still sending reads it, so the connection lingers:
   * at most {@link #OVERSIZED_DRAIN_BYTES} more bytes or {@link #OVERSIZED_DRAIN_MS} are read and dropped first.
   */
  static void refuseOversized(io.vertx.ext.web.RoutingContext ctx, String detail) {
    HttpServerRequest request = ctx.request();
    if (request.response().ended()) return;
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    io.vertx.core.http.HttpConnection connection = request.connection();
    long[] drained = {0};
    io.vertx.core.Vertx vertx = ctx.vertx();
    long timer = vertx.setTimer(OVERSIZED_DRAIN_MS, id -> connection.close());
    try {
      request.handler(chunk -> {
        drained[0] += chunk.length();
        if (drained[0] > OVERSIZED_DRAIN_BYTES) connection.close();
      });
      request.endHandler(v -> {
        vertx.cancelTimer(timer);
        connection.close();
      });
      request.resume();
    } catch (IllegalStateException alreadyEnded) {
      // the body has been read to its end: nothing left to drain
      vertx.cancelTimer(timer);
      send(request.response(), 413, detail).onComplete(ar -> connection.close());
      return;
    }
    send(request.response(), 413, detail);
  }

  public static String defaultDetail(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Not authenticated";
      case 403 -> "Insufficient permissions";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Request body too large";
      case 414 -> "Request line too long";
      case 501 -> "Method not supported";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Entity";
      case 431 -> "Request header fields too large";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Request failed";
    };
  }
}
