package dev.agentos.http.support;

import dev.agentos.contract.Failures;
import dev.agentos.storage.StorageClient;

/**
 * The one mapping from a storage or runtime verticle's failure to the HTTP answer, for every route group.
 * Storage ({@link #storage}):
 * <ul>
 *   <li>422 (a value the store cannot take) → agno's validation list;</li>
 *   <li>400, 403, 404, 409 → that status with the verticle's text as {@code detail} (a route may name its own
 *       404 text: {@code Role not found});</li>
 *   <li>anything else (503, a timeout, no handler, a malformed reply) → 503 {@code Database unavailable}: no
 *       answer, never an allow and never a 500.</li>
 * </ul>
 * Runtime ({@link #runtime}): 404 (unknown component, another's session), 502 and 504 (the model provider) pass
 * through with their text; anything else is 503 {@code Runtime unavailable}.
 * A failure that already is an HTTP answer (a route's own {@link DetailedFailure} or {@link ValidationFailure})
 * passes through.
 */
public final class VerticleFailures {
  private VerticleFailures() {}

  public static RuntimeException storage(Throwable cause) {
    return storage(cause, null);
  }

  /** As {@link #storage(Throwable)}, with {@code notFound} as the 404's detail when not null. */
  public static RuntimeException storage(Throwable cause, String notFound) {
    if (cause instanceof DetailedFailure d) return d;
    if (cause instanceof ValidationFailure v) return v;
    // a StorageFailure from StorageClient, or the failure a verticle passed on (the policy verticle's role writes)
    int code = cause instanceof io.vertx.core.eventbus.ReplyException re
        && re.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE ? re.failureCode() : StorageClient.code(cause);
    return switch (code) {
      case Failures.INVALID -> new ValidationFailure("body", null, cause.getMessage(), "value_error");
      case Failures.NOT_FOUND -> new DetailedFailure(404, notFound != null ? notFound : cause.getMessage());
      case Failures.BAD_REQUEST, Failures.FORBIDDEN, Failures.CONFLICT -> new DetailedFailure(code, cause.getMessage());
      default -> new DetailedFailure(503, "Database unavailable");
    };
  }

  public static DetailedFailure runtime(Throwable cause) {
    if (cause instanceof DetailedFailure d) return d;
    if (cause instanceof io.vertx.core.eventbus.ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE) {
      int code = re.failureCode();
      if (code == Failures.NOT_FOUND || code == Failures.BAD_GATEWAY || code == Failures.GATEWAY_TIMEOUT) {
        return new DetailedFailure(code, re.getMessage());
      }
    }
    return new DetailedFailure(503, "Runtime unavailable");
  }
}
