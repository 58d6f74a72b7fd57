package dev.agentos.contract;

/**
 * The storage verticle's event-bus contract. Each action's request is a {@link StorageRequest} record (its action also
 * travels in the {@value #ACTION_HEADER} header); replies are {@link Document}s. A sender that speaks only JSON sends
 * the record's JSON form with the action header and gets JSON back. Failures are
 * {@link io.vertx.core.eventbus.ReplyException}s whose failure code is one of the constants below.
 *
 * <p>Every action on user data names its {@link Owner} in the {@code owner} field: a user id, or
 * {@code null} for "every owner", which callers may send only for a principal the policy decided is
 * unscoped. A request without the field is refused ({@link #BAD_REQUEST}). Replies and failures are listed in
 * docs/architecture.md.
 */
public final class StorageApi {
  private StorageApi() {}

  public static final String ADDRESS = "agentos.storage.v1";
  public static final String ACTION_HEADER = "action";

  public static final String PING = "ping";

  public static final String SESSIONS_LIST = "sessions.list";
  public static final String SESSIONS_GET = "sessions.get";
  public static final String SESSIONS_CREATE = "sessions.create";
  public static final String SESSIONS_UPDATE = "sessions.update";
  public static final String SESSIONS_DELETE = "sessions.delete";
  public static final String SESSION_RUNS = "sessions.runs";
  public static final String SESSION_RUN = "sessions.run";
  /** {@code run_id} → {@code {session_id}} of the owner's session that stores it, or {@code {}}. */
  public static final String RUNS_LOCATE = "runs.locate";
  public static final String RUNS_RECORD = "runs.record";
  public static final String SESSIONS_ENSURE = "sessions.ensure";
  /** A copy of the owner's session of a component, every run with a new id, under a new session id; 404 when not theirs. */
  public static final String SESSIONS_FORK = "sessions.fork";

  public static final String MEMORIES_LIST = "memories.list";
  public static final String MEMORIES_GET = "memories.get";
  public static final String MEMORIES_CREATE = "memories.create";
  public static final String MEMORIES_UPDATE = "memories.update";
  public static final String MEMORIES_DELETE = "memories.delete";
  public static final String MEMORY_TOPICS = "memories.topics";
  public static final String MEMORY_STATS = "memories.stats";

  public static final String TRACES_LIST = "traces.list";
  public static final String TRACES_GET = "traces.get";
  public static final String TRACES_SESSION_STATS = "traces.session_stats";
  public static final String TRACES_SEARCH = "traces.search";
  public static final String TRACES_RECORD = "traces.record";

  public static final String SERVICE_ACCOUNTS_CREATE = "service_accounts.create";
  public static final String SERVICE_ACCOUNTS_LIST = "service_accounts.list";
  public static final String SERVICE_ACCOUNTS_REVOKE = "service_accounts.revoke";
  public static final String SERVICE_ACCOUNTS_VERIFY = "service_accounts.verify";

  public static final String ROLES_SNAPSHOT = "roles.snapshot";
  public static final String ROLES_PUT = "roles.put";
  public static final String ROLES_DELETE = "roles.delete";
  public static final String SUBJECT_ROLES_GET = "roles.subject";
  public static final String SUBJECT_ROLES_PUT = "roles.assign";
  public static final String AUTHZ_AUDIT = "roles.audit";

  /** A subject's consents (the service accounts that may act for it). */
  public static final String CONSENTS_LIST = "consents.list";
  /** A user grants or withdraws a consent (sealed: the subject is the seal's actor). */
  public static final String CONSENTS_PUT = "consents.put";

  /** A page of one tenant's users directory. */
  public static final String USERS_LIST = "users.list";
  /** One user of a tenant, with their managed roles; 404 when the directory does not know them. */
  public static final String USERS_GET = "users.get";
  /** An admin's change to a user (sealed): profile fields and the {@code disabled} kill switch; creates an unknown one. */
  public static final String USERS_UPDATE = "users.update";
  /** A user's first request (just-in-time): adds them, with the default role when they hold no role; idempotent. */
  public static final String USERS_PROVISION = "users.provision";
  /** Counts of one tenant's users directory. */
  public static final String USERS_METRICS = "users.metrics";

  /** A batch of decision records, from the policy verticle's recorder (append-only). */
  public static final String DECISIONS_RECORD = "decisions.record";
  /** A page of one tenant's decision records, filtered. */
  public static final String DECISIONS_LIST = "decisions.list";

  /**
   * Published (to every node) after a service account is revoked; body {@code {"id": ...}}. Every HTTP
   * verticle drops that account from its verification cache.
   */
  public static final String SERVICE_ACCOUNT_REVOKED = "agentos.service_accounts.v1.revoked";

  /** The request is malformed (missing owner, wrong types). */
  public static final int BAD_REQUEST = Failures.BAD_REQUEST;
  /** No such row for this owner (existence is never revealed across owners). */
  public static final int NOT_FOUND = Failures.NOT_FOUND;
  /** The id is taken (by anyone; the owner is not revealed). */
  public static final int CONFLICT = Failures.CONFLICT;
  /** A sealed write (roles, service accounts) whose decision seal is missing, not trusted or for another request. */
  public static final int FORBIDDEN = Failures.FORBIDDEN;
  /** A well-formed request with an unacceptable value (e.g. a trace filter naming an unknown field). */
  public static final int INVALID = Failures.INVALID;
  /** The database is unreachable, or the schema is not migrated yet. */
  public static final int UNAVAILABLE = Failures.UNAVAILABLE;
  /** The action is not one this address knows. */
  public static final int UNKNOWN_ACTION = Failures.UNKNOWN_ACTION;
}
