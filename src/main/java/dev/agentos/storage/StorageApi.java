package dev.agentos.storage;

/**
 * The storage verticle's event-bus contract. Requests carry the action in the {@value #ACTION_HEADER}
 * header and a JSON body; replies are JSON. Failures are {@link io.vertx.core.eventbus.ReplyException}s whose
 * failure code is one of the constants below.
 *
 * <pre>
 * ping  {}  →  {"ok": true, "schema_version": "1"}     readiness: migrated and the database answers
 * </pre>
 */
public final class StorageApi {
  private StorageApi() {}

  public static final String ADDRESS = "agentos.storage.v1";
  public static final String ACTION_HEADER = "action";

  public static final String PING = "ping";

  /** The database is unreachable, or the schema is not migrated yet. */
  public static final int UNAVAILABLE = 503;
  /** The action is not one this address knows. */
  public static final int UNKNOWN_ACTION = 400;
}
