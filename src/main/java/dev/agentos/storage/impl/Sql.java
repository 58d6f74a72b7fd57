package dev.agentos.storage.impl;

import java.util.Map;

/**
 * Every SQL statement of the service. Each statement on an owned table (sessions, runs, memories, traces,
 * spans) binds the owner as {@code $1}, a text[] of {tenant, user}: reads, updates and deletes through {@link #OWNER}
 * (or {@link #OWNER_T} for the traces alias), where the tenant always binds and a NULL user means "every owner of
 * the tenant", only ever produced from an explicit unscoped decision; inserts write {@link #TENANT} into
 * {@code tenant_id} and {@link #USER} into {@code user_id}, and every conflict target leads with the tenant. {@code StatementOwnershipTest} fails if a statement
 * here breaks that. Names ending in {@code _FRAGMENT} are pieces that never run alone.
 */
public final class Sql {
  private Sql() {}

  /** The owner's tenant and user, as bound in $1 ({@code Owner.sqlValue()}: a text[] of {tenant, user}). */
  static final String TENANT = "($1::text[])[1]";
  static final String USER = "($1::text[])[2]";

  public static final String OWNER = "(tenant_id = " + TENANT + " AND (" + USER + " IS NULL OR user_id = " + USER + "))";
  public static final String OWNER_T = "(t.tenant_id = " + TENANT + " AND (" + USER + " IS NULL OR t.user_id = " + USER + "))";

  // ---- sessions -------------------------------------------------------------------------------------
  static final String SESSION_COLUMNS = "session_id, user_id, session_type, component_id, session_name, session_state, "
      + "metadata, summary, metrics, created_at, updated_at";

  /** Sort columns accepted from clients, mapped to fixed SQL (never interpolated from input). */
  static final Map<String, String> SESSION_SORT = Map.of("created_at", "created_at", "updated_at", "updated_at",
      "session_name", "session_name");

  /**
   * A listing counts at most this many matching rows: up to it {@code total_count} is exact; beyond it the count stops
   * there (the listing says so), so a page costs the same for an owner with 1,000 or 100,000 rows.
   */
  public static final int COUNT_CAP = 1_000;

  /**
   * One page of a listing and its capped count in one statement: always one row at least (the count, with NULLs
   * when the page is empty). {@code where} binds $1 (the owner) and the listing's filters; {@code order} ends with the
   * row id, and {@code page} takes the LIMIT and OFFSET parameters.
   */
  static String pageWithCount(String table, String columns, String where, String order, String page) {
    return "SELECT c.total, p.* FROM (SELECT count(*) AS total FROM (SELECT 1 FROM " + table + " WHERE " + where
        + " LIMIT " + (COUNT_CAP + 1) + ") AS capped) AS c LEFT JOIN LATERAL (SELECT " + columns + " FROM " + table
        + " WHERE " + where + " ORDER BY " + order + " " + page + ") AS p ON true";
  }

  /**
   * Sorted by a NOT NULL timestamp, the tiebreaker follows the direction, so the owner-first index (owner, column, id)
   * serves the page forwards or backwards; by name (nullable) unnamed sessions come last.
   */
  static String listSessions(String sortColumn, boolean ascending) {
    String direction = ascending ? " ASC" : " DESC";
    String order = sortColumn.equals("session_name") ? "session_name" + direction + " NULLS LAST, session_id"
        : sortColumn + direction + ", session_id" + direction;
    return pageWithCount("sessions", SESSION_COLUMNS, OWNER
        + " AND ($2::text IS NULL OR session_type = $2) AND ($3::text IS NULL OR component_id = $3)"
        + " AND ($4::text IS NULL OR session_name ILIKE '%' || $4 || '%' ESCAPE '\\')", order, "LIMIT $5 OFFSET $6");
  }

  static final String GET_SESSION = "SELECT " + SESSION_COLUMNS + " FROM sessions WHERE " + OWNER
      + " AND session_id = $2 AND ($3::text IS NULL OR session_type = $3)";

  /** The owner of a new row is $1 itself; ON CONFLICT is on the tenant's key so an id taken by anyone there is a 409. */
  static final String CREATE_SESSION = "INSERT INTO sessions (tenant_id, user_id, session_id, session_type, component_id, "
      + "session_name, session_state, metadata) VALUES (" + TENANT + ", " + USER + ", $2, $3, $4, $5, $6::jsonb, $7::jsonb)"
      + " ON CONFLICT (tenant_id, session_id) DO NOTHING RETURNING " + SESSION_COLUMNS;

  static final String UPDATE_SESSION = "UPDATE sessions SET session_name = COALESCE($3, session_name), "
      + "session_state = COALESCE($4, session_state), metadata = COALESCE($5, metadata), "
      + "summary = COALESCE($6, summary), updated_at = now() WHERE " + OWNER
      + " AND session_id = $2 AND ($7::text IS NULL OR session_type = $7) RETURNING " + SESSION_COLUMNS;

  static final String DELETE_SESSIONS = "DELETE FROM sessions WHERE " + OWNER
      + " AND session_id = ANY($2::text[]) AND ($3::text[] IS NULL OR session_type = ANY($3::text[]))";

  // ---- runs -----------------------------------------------------------------------------------------
  static final String RUN_COLUMNS = "run_id, session_id, user_id, component_type, component_id, status, input, content, "
      + "metrics, events, created_at, updated_at";

  static final String LIST_SESSION_RUNS = "SELECT " + RUN_COLUMNS + " FROM runs WHERE " + OWNER
      + " AND session_id = $2 AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at <= $4)"
      + " ORDER BY created_at, run_id LIMIT $5 OFFSET $6";

  /** A timestamp as {@link java.time.Instant#toString()} writes it (UTC, fraction only as long as needed). */
  private static String isoInstant(String column) {
    String utc = column + " AT TIME ZONE 'UTC'";
    String micros = "(extract(microseconds FROM " + column + ")::bigint % 1000000)";
    return "CASE WHEN " + micros + " = 0 THEN to_char(" + utc + ", 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        + " WHEN " + micros + " % 1000 = 0 THEN to_char(" + utc + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        + " ELSE to_char(" + utc + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') END";
  }

  /**
   * A page of a session's runs as one JSON array text, built by PostgreSQL in the run schema SessionStore.run writes
   * (same fields, same order): a long session's page is passed through as text, never parsed and encoded again.
   */
  static final String LIST_SESSION_RUNS_JSON = "SELECT coalesce(json_agg(json_build_object('run_id', run_id, "
      + "'session_id', session_id, 'user_id', user_id, "
      + "'agent_id', CASE WHEN component_type = 'agent' THEN component_id END, "
      + "'team_id', CASE WHEN component_type = 'team' THEN component_id END, "
      + "'workflow_id', CASE WHEN component_type = 'workflow' THEN component_id END, "
      + "'status', status, 'run_input', input, 'content', content, 'metrics', metrics, 'events', events, "
      + "'created_at', " + isoInstant("created_at") + ", 'updated_at', " + isoInstant("updated_at")
      + ") ORDER BY created_at, run_id), '[]')::text AS page FROM (SELECT * FROM runs WHERE " + OWNER
      + " AND session_id = $2 AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at <= $4)"
      + " ORDER BY created_at, run_id LIMIT $5 OFFSET $6) AS page_rows";

  /** A page of a session's chat history: its runs' messages, newest run first (page 1 is the latest). */
  static final String SESSION_HISTORY = "SELECT input, content FROM runs WHERE " + OWNER
      + " AND session_id = $2 ORDER BY created_at DESC, run_id DESC LIMIT $3 OFFSET $4";

  /**
   * For the runtime, before a run starts, in one statement: the owner's session of this component, created when new
   * ({@code mine} = 1), or not ({@code mine} = 0: another owner's or component's id, nothing written), with the input
   * and content of its last $5 completed runs (agno's history window), newest first; one row with NULLs when there
   * are none. The inserted row is not visible to the rest of the statement, hence the union with what it returned.
   */
  static final String PREPARE_RUN = "WITH created AS (INSERT INTO sessions (tenant_id, user_id, session_id, session_type, "
      + "component_id) VALUES (" + TENANT + ", " + USER + ", $2, $3, $4) ON CONFLICT (tenant_id, session_id) DO NOTHING "
      + "RETURNING session_id), mine AS (SELECT session_id FROM created UNION ALL SELECT session_id FROM sessions WHERE "
      + OWNER + " AND user_id IS NOT DISTINCT FROM " + USER + " AND session_id = $2 AND session_type = $3 AND component_id = $4) "
      + "SELECT (SELECT count(*) FROM mine) AS mine, h.input, h.content FROM (SELECT 1) AS one LEFT JOIN LATERAL ("
      + "SELECT input, content, created_at, run_id FROM runs WHERE " + OWNER + " AND session_id = $2 AND status = 'COMPLETED'"
      + " AND EXISTS (SELECT 1 FROM mine) ORDER BY created_at DESC, run_id DESC LIMIT $5) AS h ON true"
      + " ORDER BY h.created_at DESC, h.run_id DESC";

  static final String GET_SESSION_RUN = "SELECT " + RUN_COLUMNS + " FROM runs WHERE " + OWNER
      + " AND session_id = $2 AND run_id = $3";

  /** Which of the owner's sessions a run is stored in (for cancel: a run of another session is not this one's). */
  static final String LOCATE_RUN = "SELECT session_id FROM runs WHERE " + OWNER + " AND run_id = $2 LIMIT 1";

  /** For the runtime: a new session row for $1, or nothing when the id exists (the caller then checks ownership). */
  static final String ENSURE_SESSION = "INSERT INTO sessions (tenant_id, user_id, session_id, session_type, component_id) "
      + "VALUES (" + TENANT + ", " + USER + ", $2, $3, $4) ON CONFLICT (tenant_id, session_id) DO NOTHING";

  static final String INSERT_RUN = "INSERT INTO runs (tenant_id, user_id, run_id, session_id, component_type, component_id, "
      + "status, input, content, metrics, events) SELECT " + TENANT + ", " + USER + ", $2::text, $3::text, $4::text, $5::text, "
      + "$6::text, $7::jsonb, $8::text, $9::jsonb, $10::jsonb WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.tenant_id = "
      + TENANT + " AND s.session_id = $3 AND s.user_id IS NOT DISTINCT FROM " + USER
      + " AND s.session_type = $4 AND s.component_id = $5) RETURNING " + RUN_COLUMNS;

  /**
   * A fork, in one statement: the owner's session of the component ($2, $3, $4) copied under $5 with its state, metadata
   * (plus {@code forked_from_session_id}), summary and metrics, and each of its runs under a new id, keeping their times.
   * Nothing is written when the session is not the owner's; the row counts say what was copied.
   */
  static final String FORK_SESSION = "WITH src AS (SELECT " + SESSION_COLUMNS + " FROM sessions WHERE " + OWNER
      + " AND session_id = $2 AND session_type = $3 AND component_id = $4), "
      + "copy AS (INSERT INTO sessions (tenant_id, user_id, session_id, session_type, component_id, session_name, session_state, "
      + "metadata, summary, metrics) SELECT " + TENANT + ", " + USER + ", $5::text, session_type, component_id, session_name, "
      + "session_state, metadata || jsonb_build_object('forked_from_session_id', $2::text), summary, metrics FROM src "
      + "RETURNING session_id), "
      + "copied_runs AS (INSERT INTO runs (tenant_id, user_id, run_id, session_id, component_type, component_id, status, input, "
      + "content, metrics, events, created_at, updated_at) SELECT " + TENANT + ", " + USER + ", gen_random_uuid()::text, "
      + "copy.session_id, r.component_type, r.component_id, r.status, r.input, r.content, r.metrics, r.events, r.created_at, "
      + "r.updated_at FROM runs r JOIN copy ON true WHERE r.tenant_id = " + TENANT + " AND r.session_id = $2 "
      + "AND r.user_id IS NOT DISTINCT FROM " + USER + " RETURNING run_id) "
      + "SELECT (SELECT count(*) FROM copy) AS sessions, (SELECT count(*) FROM copied_runs) AS runs";

  // ---- memories -------------------------------------------------------------------------------------
  static final String MEMORY_COLUMNS = "memory_id, user_id, memory, topics, agent_id, team_id, created_at, updated_at";
  static final Map<String, String> MEMORY_SORT = Map.of("updated_at", "updated_at", "created_at", "created_at",
      "memory", "memory");

  static String listMemories(String sortColumn, boolean ascending) {
    String direction = ascending ? " ASC" : " DESC";
    return pageWithCount("memories", MEMORY_COLUMNS, OWNER
        + " AND ($2::text IS NULL OR agent_id = $2) AND ($3::text IS NULL OR team_id = $3)"
        + " AND ($4::text[] IS NULL OR topics && $4::text[])"
        + " AND ($5::text IS NULL OR memory ILIKE '%' || $5 || '%' ESCAPE '\\')",
        sortColumn + direction + ", memory_id" + (sortColumn.equals("memory") ? "" : direction), "LIMIT $6 OFFSET $7");
  }

  static final String GET_MEMORY = "SELECT " + MEMORY_COLUMNS + " FROM memories WHERE " + OWNER + " AND memory_id = $2";

  static final String CREATE_MEMORY = "INSERT INTO memories (tenant_id, user_id, memory_id, memory, topics, agent_id, team_id) "
      + "VALUES (" + TENANT + ", " + USER + ", $2, $3, $4::text[], $5, $6) RETURNING " + MEMORY_COLUMNS;

  static final String UPDATE_MEMORY = "UPDATE memories SET memory = $3, topics = COALESCE($4, topics), updated_at = now() "
      + "WHERE " + OWNER + " AND memory_id = $2 RETURNING " + MEMORY_COLUMNS;

  static final String DELETE_MEMORIES = "DELETE FROM memories WHERE " + OWNER + " AND memory_id = ANY($2::text[])";

  static final String MEMORY_TOPICS = "SELECT DISTINCT unnest(topics) AS topic FROM memories WHERE " + OWNER
      + " ORDER BY topic";

  static final String USER_MEMORY_STATS = "SELECT user_id, count(*) AS total_memories, max(updated_at) AS last_memory_updated_at, "
      + "count(*) OVER () AS total FROM (SELECT user_id, updated_at FROM memories WHERE " + OWNER + ") m "
      + "GROUP BY user_id ORDER BY max(updated_at) DESC, user_id LIMIT $2 OFFSET $3";

  // ---- traces ---------------------------------------------------------------------------------------
  static final String TRACE_SUMMARY_FRAGMENT = "SELECT t.trace_id, t.name, t.status, t.start_time, t.end_time, t.input, t.run_id, "
      + "t.session_id, t.user_id, t.component_type, t.component_id, "
      + "(SELECT count(*) FROM spans s WHERE s.tenant_id = t.tenant_id AND s.trace_id = t.trace_id) AS total_spans, "
      + "(SELECT count(*) FROM spans s WHERE s.tenant_id = t.tenant_id AND s.trace_id = t.trace_id AND s.status = 'ERROR') AS error_count";

  /** $2..$9: run_id, session_id, component_type, component_id, status, start_time, end_time; then limit, offset. */
  static final String TRACE_FILTER_FRAGMENT = " FROM traces t WHERE " + OWNER_T
      + " AND ($2::text IS NULL OR t.run_id = $2) AND ($3::text IS NULL OR t.session_id = $3)"
      + " AND ($4::text IS NULL OR t.component_type = $4) AND ($5::text IS NULL OR t.component_id = $5)"
      + " AND ($6::text IS NULL OR t.status = $6) AND ($7::timestamptz IS NULL OR t.start_time >= $7)"
      + " AND ($8::timestamptz IS NULL OR t.start_time <= $8)";

  static final String LIST_TRACES = TRACE_SUMMARY_FRAGMENT + ", count(*) OVER () AS total" + TRACE_FILTER_FRAGMENT
      + " ORDER BY t.start_time DESC, t.trace_id LIMIT $9 OFFSET $10";

  static final String TRACE_SESSION_STATS = "SELECT t.session_id, t.user_id, t.component_type, t.component_id, "
      + "count(*) AS total_traces, min(t.start_time) AS first_trace_at, max(t.start_time) AS last_trace_at, "
      + "count(*) OVER () AS total" + TRACE_FILTER_FRAGMENT
      + " AND t.session_id IS NOT NULL GROUP BY t.session_id, t.user_id, t.component_type, t.component_id"
      + " ORDER BY max(t.start_time) DESC, t.session_id LIMIT $9 OFFSET $10";

  static final String GET_TRACE = TRACE_SUMMARY_FRAGMENT + " FROM traces t WHERE " + OWNER_T + " AND t.trace_id = $2";

  static final String TRACE_SPANS = "SELECT s.span_id, s.parent_span_id, s.name, s.kind, s.status, s.attributes, "
      + "s.start_time, s.end_time, s.input, s.output, s.error FROM spans s JOIN traces t ON t.tenant_id = s.tenant_id AND t.trace_id = s.trace_id "
      + "WHERE " + OWNER_T + " AND s.trace_id = $2 ORDER BY s.start_time, s.span_id";

  static final String INSERT_TRACE = "INSERT INTO traces (tenant_id, user_id, trace_id, run_id, session_id, component_type, "
      + "component_id, name, status, start_time, end_time, input) VALUES (" + TENANT + ", " + USER
      + ", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

  static final String INSERT_SPAN = "INSERT INTO spans (tenant_id, user_id, trace_id, span_id, parent_span_id, name, kind, "
      + "status, attributes, start_time, end_time, input, output, error) SELECT " + TENANT + ", t.user_id, $2::text, $3::text, "
      + "$4::text, $5::text, $6::text, $7::text, $8::jsonb, $9::timestamptz, $10::timestamptz, $11::text, $12::text, $13::text "
      + "FROM traces t WHERE t.trace_id = $2 AND " + OWNER_T;

  /** {@code POST /traces/search}: a compiled {@code TraceFilter} condition ($2 onwards), always under the owner. */
  static String searchTraces(String condition, int limitParam) {
    return TRACE_SUMMARY_FRAGMENT + ", count(*) OVER () AS total FROM traces t WHERE " + OWNER_T + " AND (" + condition + ")"
        + " ORDER BY t.start_time DESC, t.trace_id LIMIT $" + limitParam + " OFFSET $" + (limitParam + 1);
  }

  static String searchTraceSessions(String condition, int limitParam) {
    return "SELECT t.session_id, t.user_id, t.component_type, t.component_id, count(*) AS total_traces, "
        + "min(t.start_time) AS first_trace_at, max(t.start_time) AS last_trace_at, count(*) OVER () AS total "
        + "FROM traces t WHERE " + OWNER_T + " AND (" + condition + ") AND t.session_id IS NOT NULL"
        + " GROUP BY t.session_id, t.user_id, t.component_type, t.component_id"
        + " ORDER BY max(t.start_time) DESC, t.session_id LIMIT $" + limitParam + " OFFSET $" + (limitParam + 1);
  }

  // ---- service accounts (not user data: tenant-level, guarded by service_accounts:* scopes) -----------
  // Every statement but the token look-up binds the tenant as $1; the look-up runs before anyone knows the tenant
  // and answers it (a token hash is unique over every tenant).
  static final String SA_COLUMNS = "tenant_id, id, name, token_prefix, scopes, created_by, created_at, expires_at, last_used_at, "
      + "revoked_at, minted_for, acts_for_users";

  /** The user it acts for: the minting user ($10), or for an account minted by another, that one's (fixed at minting). */
  static final String CREATE_SERVICE_ACCOUNT = "INSERT INTO service_accounts (tenant_id, id, name, token_hash, token_prefix, "
      + "scopes, created_by, expires_at, parent_id, minted_for, acts_for_users) VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, "
      + "CASE WHEN $9::text IS NULL THEN $10::text ELSE (SELECT p.minted_for FROM service_accounts p WHERE p.tenant_id = $1 "
      + "AND p.id = $9) END, $11) RETURNING " + SA_COLUMNS;

  static String listServiceAccounts(boolean ascending) {
    return "SELECT " + SA_COLUMNS + ", count(*) OVER () AS total FROM service_accounts WHERE tenant_id = $1 AND ($2 OR revoked_at IS NULL)"
        + " ORDER BY created_at" + (ascending ? " ASC" : " DESC") + ", id LIMIT $3 OFFSET $4";
  }

  /** The account and, transitively, every account minted by it (parent_id), in one statement. */
  static final String REVOKE_SERVICE_ACCOUNT = "WITH RECURSIVE tree AS (SELECT id FROM service_accounts WHERE tenant_id = $1 "
      + "AND id = $2 UNION SELECT s.id FROM service_accounts s JOIN tree t ON s.tenant_id = $1 AND s.parent_id = t.id) "
      + "UPDATE service_accounts SET revoked_at = COALESCE(revoked_at, now()) WHERE tenant_id = $1 AND id IN (SELECT id FROM tree) "
      + "RETURNING " + SA_COLUMNS;

  /** Verification: the active account behind a token hash (revoked and expired ones are not returned), read-only. */
  static final String FIND_SERVICE_ACCOUNT = "SELECT " + SA_COLUMNS + " FROM service_accounts WHERE token_hash = $1 "
      + "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())";

  /** Then, in the account's own tenant, marks it used. */
  static final String MARK_SERVICE_ACCOUNT_USED = "UPDATE service_accounts SET last_used_at = now() WHERE tenant_id = $1 AND id = $2 "
      + "RETURNING " + SA_COLUMNS;

  // ---- consents: service accounts acting for users (tenant-level; docs/authorization.md, "Delegation") ----------
  /** The accounts that may act for consenting users, active now: the policy's snapshot (every tenant) or one tenant's. */
  static final String ALL_ACTING_ACCOUNTS = "SELECT tenant_id, name, scopes FROM service_accounts WHERE acts_for_users "
      + "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) ORDER BY tenant_id, name";
  static final String TENANT_ACTING_ACCOUNTS = "SELECT tenant_id, name, scopes FROM service_accounts WHERE tenant_id = $1 AND acts_for_users "
      + "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) ORDER BY name";
  static final String ALL_CONSENTS = "SELECT tenant_id, subject, actor FROM actor_consents ORDER BY tenant_id, actor, subject";
  static final String TENANT_CONSENTS = "SELECT tenant_id, subject, actor FROM actor_consents WHERE tenant_id = $1 ORDER BY actor, subject";
  static final String SUBJECT_CONSENTS = "SELECT actor, granted_at FROM actor_consents WHERE tenant_id = $1 AND subject = $2 ORDER BY actor";
  static final String GRANT_CONSENT = "INSERT INTO actor_consents (tenant_id, subject, actor) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING "
      + "RETURNING granted_at";
  static final String WITHDRAW_CONSENT = "DELETE FROM actor_consents WHERE tenant_id = $1 AND subject = $2 AND actor = $3 RETURNING actor";

  // ---- the users directory (tenant-level; docs/authorization.md, "Users directory") -----------------------------
  static final String USER_COLUMNS_FRAGMENT = "u.id, u.email, u.name, u.disabled, u.provisioned_by, u.created_at, u.updated_at, "
      + "COALESCE((SELECT array_agg(sr.role_name ORDER BY sr.role_name) FROM subject_roles sr WHERE sr.tenant_id = u.tenant_id "
      + "AND sr.subject = u.id), '{}') AS roles";

  /** A page: $2 a LIKE pattern over id, email and name (or null), $3 disabled (or null), sorted by a listed column. */
  static String listUsers(String sortColumn, boolean ascending) {
    return "SELECT " + USER_COLUMNS_FRAGMENT + ", count(*) OVER () AS total FROM users u WHERE u.tenant_id = $1 "
        + "AND ($2::text IS NULL OR u.id ILIKE $2 OR u.email ILIKE $2 OR u.name ILIKE $2) AND ($3::boolean IS NULL OR u.disabled = $3) "
        + "ORDER BY u." + sortColumn + (ascending ? " ASC" : " DESC") + " NULLS LAST, u.id LIMIT $4 OFFSET $5";
  }

  static final String GET_USER = "SELECT " + USER_COLUMNS_FRAGMENT + " FROM users u WHERE u.tenant_id = $1 AND u.id = $2";
  static final String GET_USER_FOR_UPDATE = "SELECT id, email, name, disabled FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE";
  /** An admin's change: each of $3 email, $4 name, $5 disabled that is not null is set; an unknown user is created. */
  static final String UPSERT_USER = "INSERT INTO users (tenant_id, id, email, name, disabled, provisioned_by) VALUES ($1, $2, $3, $4, "
      + "COALESCE($5::boolean, false), 'admin') ON CONFLICT (tenant_id, id) DO UPDATE SET email = COALESCE($3, users.email), "
      + "name = COALESCE($4, users.name), disabled = COALESCE($5::boolean, users.disabled), updated_at = now()";
  /** A first request: the user, unless known (then nothing happens; the row says whether it was added). */
  static final String PROVISION_USER = "INSERT INTO users (tenant_id, id, email, name, provisioned_by) VALUES ($1, $2, $3, $4, 'jit') "
      + "ON CONFLICT DO NOTHING RETURNING id";
  /** The default role, only to a subject without any managed role (an admin may have assigned some first). */
  static final String ASSIGN_DEFAULT_ROLE = "INSERT INTO subject_roles (tenant_id, subject, role_name) SELECT $1, $2, $3 "
      + "WHERE NOT EXISTS (SELECT 1 FROM subject_roles WHERE tenant_id = $1 AND subject = $2) RETURNING role_name";
  /** A subject given roles by an admin is a user of the directory (so an empty set never means "new": no default role). */
  static final String ENSURE_USER = "INSERT INTO users (tenant_id, id, provisioned_by) VALUES ($1, $2, 'admin') ON CONFLICT DO NOTHING";
  static final String USER_METRICS = "SELECT count(*) AS total, count(*) FILTER (WHERE disabled) AS disabled, "
      + "count(*) FILTER (WHERE provisioned_by = 'jit') AS jit, "
      + "count(*) FILTER (WHERE created_at > now() - interval '1 day') AS new_1d, "
      + "count(*) FILTER (WHERE created_at > now() - interval '7 days') AS new_7d, "
      + "count(*) FILTER (WHERE created_at > now() - interval '30 days') AS new_30d FROM users WHERE tenant_id = $1";
  /** The policy verticle's snapshot: every tenant's disabled users, and (for the default role) those without a role. */
  static final String ALL_DISABLED_USERS = "SELECT tenant_id, id FROM users WHERE disabled ORDER BY tenant_id, id";
  static final String ALL_UNASSIGNED_USERS = "SELECT u.tenant_id, u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM subject_roles sr "
      + "WHERE sr.tenant_id = u.tenant_id AND sr.subject = u.id) ORDER BY u.tenant_id, u.id";
  static final String TENANT_DISABLED_USERS = "SELECT tenant_id, id FROM users WHERE tenant_id = $1 AND disabled ORDER BY id";
  static final String TENANT_UNASSIGNED_USERS = "SELECT u.tenant_id, u.id FROM users u WHERE u.tenant_id = $1 AND NOT EXISTS "
      + "(SELECT 1 FROM subject_roles sr WHERE sr.tenant_id = u.tenant_id AND sr.subject = u.id) ORDER BY u.id";

  // ---- managed roles (policy data, guarded by authz:* scopes; the tenant is $1 but in the snapshot) -----
  static final String ALL_ROLES = "SELECT tenant_id, name, scopes, deny, description, updated_by, updated_at FROM roles ORDER BY tenant_id, name";
  static final String ALL_SUBJECT_ROLES = "SELECT tenant_id, subject, role_name FROM subject_roles ORDER BY tenant_id, subject, role_name";
  /** One tenant's roles and assignments (the /authz routes: they answer for one tenant). */
  static final String TENANT_ROLES = "SELECT tenant_id, name, scopes, deny, description, updated_by, updated_at FROM roles WHERE tenant_id = $1 "
      + "ORDER BY name";
  static final String TENANT_SUBJECT_ROLES = "SELECT tenant_id, subject, role_name FROM subject_roles WHERE tenant_id = $1 "
      + "ORDER BY subject, role_name";
  static final String GET_ROLE_FOR_UPDATE = "SELECT name, scopes, deny, description FROM roles WHERE tenant_id = $1 AND name = $2 FOR UPDATE";
  static final String UPSERT_ROLE = "INSERT INTO roles (tenant_id, name, scopes, deny, description, updated_by) VALUES ($1, $2, "
      + "$3::text[], $4::text[], $5, $6) ON CONFLICT (tenant_id, name) DO UPDATE SET scopes = EXCLUDED.scopes, deny = EXCLUDED.deny, "
      + "description = EXCLUDED.description, updated_by = EXCLUDED.updated_by, updated_at = now()";
  static final String DELETE_ROLE = "DELETE FROM roles WHERE tenant_id = $1 AND name = $2";
  static final String UNASSIGN_ROLE = "DELETE FROM subject_roles WHERE tenant_id = $1 AND role_name = $2";
  static final String SUBJECT_ROLES = "SELECT role_name FROM subject_roles WHERE tenant_id = $1 AND subject = $2 ORDER BY role_name";
  static final String SUBJECT_ROLES_FOR_UPDATE = "SELECT role_name FROM subject_roles WHERE tenant_id = $1 AND subject = $2 "
      + "ORDER BY role_name FOR UPDATE";
  static final String CLEAR_SUBJECT_ROLES = "DELETE FROM subject_roles WHERE tenant_id = $1 AND subject = $2";
  static final String ASSIGN_ROLES = "INSERT INTO subject_roles (tenant_id, subject, role_name) SELECT $1, $2, unnest($3::text[]) "
      + "ON CONFLICT DO NOTHING";
  static final String AUDIT = "INSERT INTO authz_audit (tenant_id, actor, action, target, before, after, actors) "
      + "VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::text[])";
  static final String LIST_AUDIT = "SELECT id, at, actor, actors, action, target, before, after, count(*) OVER () AS total FROM authz_audit "
      + "WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3";

  // ---- decision records (append-only; the recorder's batches and the retention run in the 'all' scope) ---------
  static final String INSERT_DECISION = "INSERT INTO authz_decisions (tenant_id, at, decision_id, subject, principal_kind, method, "
      + "path, route, required, held, result, reasons, token_ref, actors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], "
      + "$11, $12::text[], $13, $14::text[])";
  static final String DECISION_COLUMNS = "id, at, decision_id, subject, principal_kind, method, path, route, required, held, result, "
      + "reasons, token_ref, actors";
  static final String LIST_DECISIONS = pageWithCount("authz_decisions", DECISION_COLUMNS, "tenant_id = $1 AND ($2::text IS NULL OR "
      + "subject = $2) AND ($3::text IS NULL OR result = $3) AND ($4::text IS NULL OR path = $4) AND ($5::timestamptz IS NULL OR "
      + "at >= $5) AND ($6::timestamptz IS NULL OR at <= $6)", "at DESC, id DESC", "LIMIT $7 OFFSET $8");
  static final String PRUNE_DECISIONS = "DELETE FROM authz_decisions WHERE at < now() - make_interval(days => $1)";
}
