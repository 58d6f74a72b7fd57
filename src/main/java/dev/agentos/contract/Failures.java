package dev.agentos.contract;

/**
 * The failure codes of every event-bus API ({@link io.vertx.core.eventbus.ReplyException#failureCode()}), defined
 * once: the API classes name the ones they use. A caller treats any failure, these and the transport's
 * ({@code NO_HANDLERS}, timeouts), as "no answer", never as an allow.
 */
public final class Failures {
  private Failures() {}

  /** The request is malformed (a missing or ill-typed field, or a message of another contract version). */
  public static final int BAD_REQUEST = 400;
  /** A sealed write without a valid seal. */
  public static final int FORBIDDEN = 403;
  /** Nothing of that id for this owner (or for this component). */
  public static final int NOT_FOUND = 404;
  /** The id is taken. */
  public static final int CONFLICT = 409;
  /** A value the verticle cannot accept (a trace filter, say). */
  public static final int INVALID = 422;
  /** The action header names no action of this API: the sender speaks another contract, or has a bug. */
  public static final int UNKNOWN_ACTION = 501;
  /** The model provider failed (runtime). */
  public static final int BAD_GATEWAY = 502;
  /** The verticle cannot answer now: roles not loaded, database unreachable, schema not migrated. */
  public static final int UNAVAILABLE = 503;
  /** The model provider did not answer in time (runtime). */
  public static final int GATEWAY_TIMEOUT = 504;
}
