package dev.agentos.http.pipeline;

import dev.agentos.http.support.ErrorResponses;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The first check on a request head, before anything reads it for meaning: methods and framing that a proxy
 * in front of us could read differently from us (the building blocks of request smuggling, RFC 9112 §6.1 and
 * §11.2) are refused, and the connection is closed so nothing after them on it is read.
 * <ul>
 *   <li>a method the service does not serve, in any spelling (methods are case-sensitive, so {@code post} is not
 *       {@code POST}): 405 for the standard methods we do not serve ({@code TRACE}, {@code CONNECT}), 501 for any
 *       other token;</li>
 *   <li>{@code Content-Length} together with {@code Transfer-Encoding}, a transfer coding other than exactly
 *       {@code chunked}, more than one {@code Content-Length} or {@code Transfer-Encoding}: 400.</li>
 * </ul>
 */
public final class ProtocolGuard implements RequestGate {
  /** Every method some route serves (HEAD with GET, OPTIONS for CORS pre-flights). */
  public static final Set<String> SERVED = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  /** Methods of RFC 9110 that no route serves: a 405, not a 501. */
  static final Set<String> STANDARD_UNSERVED = Set.of("TRACE", "CONNECT");

  @Override
  public boolean admit(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String method = request.method().name();
    if (!SERVED.contains(method)) {
      if (STANDARD_UNSERVED.contains(method)) {
        request.response().putHeader("Allow", String.join(", ", List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")));
        ErrorResponses.sendAndClose(request, 405, "Method Not Allowed");
      } else {
        ErrorResponses.sendAndClose(request, 501, "Method not supported");
      }
      return false;
    }
    String framing = framingProblem(request.headers());
    if (framing != null) {
      ErrorResponses.sendAndClose(request, 400, framing);
      return false;
    }
    return true;
  }

  /** Why the message framing is ambiguous, or null when it is not. */
  static String framingProblem(MultiMap headers) {
    List<String> lengths = headers.getAll("Content-Length");
    List<String> codings = headers.getAll("Transfer-Encoding");
    if (!lengths.isEmpty() && !codings.isEmpty()) return "Content-Length and Transfer-Encoding together are not accepted";
    if (lengths.size() > 1) return "More than one Content-Length header";
    if (codings.size() > 1) return "More than one Transfer-Encoding header";
    if (codings.size() == 1 && !codings.get(0).strip().toLowerCase(Locale.ROOT).equals("chunked")) {
      return "Unsupported Transfer-Encoding: only chunked is accepted";
    }
    return null;
  }
}
