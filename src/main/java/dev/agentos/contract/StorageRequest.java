package dev.agentos.contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The storage verticle's requests ({@link StorageApi}), one record per action. Their JSON forms are the tables of
 * docs/architecture.md. {@code null} in a field means absent; which fields are required is the storage verticle's
 * rule (a request without one is a 400 {@link StorageApi#BAD_REQUEST}), so that typed and JSON senders get the same
 * answer. Requests on user data carry an {@link Owner} ({@code null}: none given, refused).
 *
 * <p>Replies are {@link Document}s: the agno-shaped JSON the HTTP layer answers with.
 */
public sealed interface StorageRequest extends ContractMessage {
  /** The action this request is ({@link StorageApi}). */
  String action();

  /** Is the database reachable and the schema migrated? {@link StorageApi#PING}. */
  record Ping() implements StorageRequest {
    @Override public String action() { return StorageApi.PING; }

    @Override public JsonObject toJson() {
      return new JsonObject();
    }

    public static Ping fromJson(JsonObject json) {
      return new Ping();
    }
  }

  /** A page of the owner's sessions. {@link StorageApi#SESSIONS_LIST}. */
  record SessionsList(Owner owner,
      String type,
      String componentId,
      String sessionName,
      int page,
      int limit,
      String sortBy,
      String sortOrder) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSIONS_LIST; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("type", type);
      json.put("component_id", componentId);
      json.put("session_name", sessionName);
      json.put("page", page);
      json.put("limit", limit);
      json.put("sort_by", sortBy);
      json.put("sort_order", sortOrder);
      return json;
    }

    public static SessionsList fromJson(JsonObject json) {
      return new SessionsList(Fields.owner(json),
          Fields.string(json, "type"),
          Fields.string(json, "component_id"),
          Fields.string(json, "session_name"),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20),
          Fields.string(json, "sort_by"),
          Fields.string(json, "sort_order"));
    }
  }

  /** One session, with the chat history of a page of its runs (page 1: the latest). {@link StorageApi#SESSIONS_GET}. */
  record SessionsGet(Owner owner,
      String sessionId,
      String type,
      int historyPage,
      int historyLimit) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSIONS_GET; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      json.put("type", type);
      json.put("history_page", historyPage);
      json.put("history_limit", historyLimit);
      return json;
    }

    public static SessionsGet fromJson(JsonObject json) {
      return new SessionsGet(Fields.owner(json),
          Fields.string(json, "session_id"),
          Fields.string(json, "type"),
          Fields.integer(json, "history_page", 1),
          Fields.integer(json, "history_limit", 100));
    }
  }

  /** A new session owned by the owner. {@link StorageApi#SESSIONS_CREATE}. */
  record SessionsCreate(Owner owner,
      String sessionId,
      String sessionType,
      String componentId,
      String sessionName,
      JsonObject sessionState,
      JsonObject metadata) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSIONS_CREATE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      json.put("session_type", sessionType);
      json.put("component_id", componentId);
      json.put("session_name", sessionName);
      json.put("session_state", sessionState);
      json.put("metadata", metadata);
      return json;
    }

    public static SessionsCreate fromJson(JsonObject json) {
      return new SessionsCreate(Fields.owner(json),
          Fields.string(json, "session_id"),
          Fields.string(json, "session_type"),
          Fields.string(json, "component_id"),
          Fields.string(json, "session_name"),
          Fields.object(json, "session_state"),
          Fields.object(json, "metadata"));
    }
  }

  /** Changes to one session (absent fields are kept). {@link StorageApi#SESSIONS_UPDATE}. */
  record SessionsUpdate(Owner owner,
      String sessionId,
      String type,
      String sessionName,
      JsonObject sessionState,
      JsonObject metadata,
      JsonObject summary) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSIONS_UPDATE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      json.put("type", type);
      json.put("session_name", sessionName);
      json.put("session_state", sessionState);
      json.put("metadata", metadata);
      json.put("summary", summary);
      return json;
    }

    public static SessionsUpdate fromJson(JsonObject json) {
      return new SessionsUpdate(Fields.owner(json),
          Fields.string(json, "session_id"),
          Fields.string(json, "type"),
          Fields.string(json, "session_name"),
          Fields.object(json, "session_state"),
          Fields.object(json, "metadata"),
          Fields.object(json, "summary"));
    }
  }

  /** Deletes the owner's sessions among the ids (others' are untouched). {@link StorageApi#SESSIONS_DELETE}. */
  record SessionsDelete(Owner owner, List<String> sessionIds, List<String> sessionTypes) implements StorageRequest {
    public SessionsDelete {
      sessionIds = sessionIds == null ? null : List.copyOf(sessionIds);
      sessionTypes = sessionTypes == null ? null : List.copyOf(sessionTypes);
    }

    @Override public String action() { return StorageApi.SESSIONS_DELETE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_ids", Fields.list(sessionIds));
      json.put("session_types", Fields.list(sessionTypes));
      return json;
    }

    public static SessionsDelete fromJson(JsonObject json) {
      return new SessionsDelete(Fields.owner(json),
          Fields.strings(json, "session_ids"),
          Fields.strings(json, "session_types"));
    }
  }

  /** A page of the runs of one session, oldest first. {@link StorageApi#SESSION_RUNS}. */
  record SessionRuns(Owner owner,
      String sessionId,
      OffsetDateTime createdAfter,
      OffsetDateTime createdBefore,
      int page,
      int limit) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSION_RUNS; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      Fields.putTime(json, "created_after", createdAfter);
      Fields.putTime(json, "created_before", createdBefore);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static SessionRuns fromJson(JsonObject json) {
      return new SessionRuns(Fields.owner(json),
          Fields.string(json, "session_id"),
          Fields.time(json, "created_after"),
          Fields.time(json, "created_before"),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 100));
    }
  }

  /** One run of one session. {@link StorageApi#SESSION_RUN}. */
  record SessionRun(Owner owner, String sessionId, String runId) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSION_RUN; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      json.put("run_id", runId);
      return json;
    }

    public static SessionRun fromJson(JsonObject json) {
      return new SessionRun(Fields.owner(json),
          Fields.string(json, "session_id"),
          Fields.string(json, "run_id"));
    }
  }

  /** Which of the owner's sessions stores a run. {@link StorageApi#RUNS_LOCATE}. */
  record RunsLocate(Owner owner, String runId) implements StorageRequest {
    @Override public String action() { return StorageApi.RUNS_LOCATE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("run_id", runId);
      return json;
    }

    public static RunsLocate fromJson(JsonObject json) {
      return new RunsLocate(Fields.owner(json), Fields.string(json, "run_id"));
    }
  }

  /** The owner's session, created if absent, with its last completed runs; 404 when another owner or component has it. {@link StorageApi#SESSIONS_ENSURE}. */
  record SessionsEnsure(Owner owner,
      String sessionId,
      String sessionType,
      String componentId,
      int historyRuns) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSIONS_ENSURE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      json.put("session_type", sessionType);
      json.put("component_id", componentId);
      json.put("history_runs", historyRuns);
      return json;
    }

    public static SessionsEnsure fromJson(JsonObject json) {
      return new SessionsEnsure(Fields.owner(json),
          Fields.string(json, "session_id"),
          Fields.string(json, "session_type"),
          Fields.string(json, "component_id"),
          Fields.integer(json, "history_runs", 0));
    }
  }

  /**
   * Copies the owner's session of a component (the owner's user on the copy: a fork stays with the session's user) under
   * {@code newSessionId}, each run with a new id. {@link StorageApi#SESSIONS_FORK}.
   */
  record SessionsFork(Owner owner,
      String sessionId,
      String sessionType,
      String componentId,
      String newSessionId) implements StorageRequest {
    @Override public String action() { return StorageApi.SESSIONS_FORK; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      json.put("session_type", sessionType);
      json.put("component_id", componentId);
      json.put("new_session_id", newSessionId);
      return json;
    }

    public static SessionsFork fromJson(JsonObject json) {
      return new SessionsFork(Fields.owner(json), Fields.string(json, "session_id"), Fields.string(json, "session_type"),
          Fields.string(json, "component_id"), Fields.string(json, "new_session_id"));
    }
  }

  /** Stores a finished run, its trace and spans (and its session if absent) in one transaction. {@link StorageApi#RUNS_RECORD}. */
  record RunsRecord(Owner owner,
      String sessionId,
      String sessionType,
      String componentId,
      JsonObject run,
      JsonObject trace,
      JsonArray spans) implements StorageRequest {
    @Override public String action() { return StorageApi.RUNS_RECORD; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("session_id", sessionId);
      json.put("session_type", sessionType);
      json.put("component_id", componentId);
      json.put("run", run);
      json.put("trace", trace);
      json.put("spans", spans);
      return json;
    }

    public static RunsRecord fromJson(JsonObject json) {
      return new RunsRecord(Fields.owner(json),
          Fields.string(json, "session_id"),
          Fields.string(json, "session_type"),
          Fields.string(json, "component_id"),
          Fields.object(json, "run"),
          Fields.object(json, "trace"),
          Fields.array(json, "spans"));
    }
  }

  /** A page of the owner's memories. {@link StorageApi#MEMORIES_LIST}. */
  record MemoriesList(Owner owner,
      String agentId,
      String teamId,
      List<String> topics,
      String searchContent,
      int page,
      int limit,
      String sortBy,
      String sortOrder) implements StorageRequest {
    public MemoriesList {
      topics = topics == null ? null : List.copyOf(topics);
    }

    @Override public String action() { return StorageApi.MEMORIES_LIST; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("agent_id", agentId);
      json.put("team_id", teamId);
      json.put("topics", Fields.list(topics));
      json.put("search_content", searchContent);
      json.put("page", page);
      json.put("limit", limit);
      json.put("sort_by", sortBy);
      json.put("sort_order", sortOrder);
      return json;
    }

    public static MemoriesList fromJson(JsonObject json) {
      return new MemoriesList(Fields.owner(json),
          Fields.string(json, "agent_id"),
          Fields.string(json, "team_id"),
          Fields.strings(json, "topics"),
          Fields.string(json, "search_content"),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20),
          Fields.string(json, "sort_by"),
          Fields.string(json, "sort_order"));
    }
  }

  /** One memory. {@link StorageApi#MEMORIES_GET}. */
  record MemoriesGet(Owner owner, String memoryId) implements StorageRequest {
    @Override public String action() { return StorageApi.MEMORIES_GET; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("memory_id", memoryId);
      return json;
    }

    public static MemoriesGet fromJson(JsonObject json) {
      return new MemoriesGet(Fields.owner(json), Fields.string(json, "memory_id"));
    }
  }

  /** A new memory owned by the owner. {@link StorageApi#MEMORIES_CREATE}. */
  record MemoriesCreate(Owner owner,
      String memory,
      List<String> topics,
      String agentId,
      String teamId) implements StorageRequest {
    public MemoriesCreate {
      topics = topics == null ? null : List.copyOf(topics);
    }

    @Override public String action() { return StorageApi.MEMORIES_CREATE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("memory", memory);
      json.put("topics", Fields.list(topics));
      json.put("agent_id", agentId);
      json.put("team_id", teamId);
      return json;
    }

    public static MemoriesCreate fromJson(JsonObject json) {
      return new MemoriesCreate(Fields.owner(json),
          Fields.string(json, "memory"),
          Fields.strings(json, "topics"),
          Fields.string(json, "agent_id"),
          Fields.string(json, "team_id"));
    }
  }

  /** Changes one memory. {@link StorageApi#MEMORIES_UPDATE}. */
  record MemoriesUpdate(Owner owner, String memoryId, String memory, List<String> topics) implements StorageRequest {
    public MemoriesUpdate {
      topics = topics == null ? null : List.copyOf(topics);
    }

    @Override public String action() { return StorageApi.MEMORIES_UPDATE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("memory_id", memoryId);
      json.put("memory", memory);
      json.put("topics", Fields.list(topics));
      return json;
    }

    public static MemoriesUpdate fromJson(JsonObject json) {
      return new MemoriesUpdate(Fields.owner(json),
          Fields.string(json, "memory_id"),
          Fields.string(json, "memory"),
          Fields.strings(json, "topics"));
    }
  }

  /** Deletes the owner's memories among the ids. {@link StorageApi#MEMORIES_DELETE}. */
  record MemoriesDelete(Owner owner, List<String> memoryIds) implements StorageRequest {
    public MemoriesDelete {
      memoryIds = memoryIds == null ? null : List.copyOf(memoryIds);
    }

    @Override public String action() { return StorageApi.MEMORIES_DELETE; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("memory_ids", Fields.list(memoryIds));
      return json;
    }

    public static MemoriesDelete fromJson(JsonObject json) {
      return new MemoriesDelete(Fields.owner(json), Fields.strings(json, "memory_ids"));
    }
  }

  /** The owner's memory topics. {@link StorageApi#MEMORY_TOPICS}. */
  record MemoryTopics(Owner owner) implements StorageRequest {
    @Override public String action() { return StorageApi.MEMORY_TOPICS; }

    @Override public JsonObject toJson() {
      return Fields.withOwner(owner);
    }

    public static MemoryTopics fromJson(JsonObject json) {
      return new MemoryTopics(Fields.owner(json));
    }
  }

  /** Memory counts per user. {@link StorageApi#MEMORY_STATS}. */
  record MemoryStats(Owner owner, int page, int limit) implements StorageRequest {
    @Override public String action() { return StorageApi.MEMORY_STATS; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static MemoryStats fromJson(JsonObject json) {
      return new MemoryStats(Fields.owner(json),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20));
    }
  }

  /** A page of the owner's traces. {@link StorageApi#TRACES_LIST}. */
  record TracesList(Owner owner,
      String runId,
      String sessionId,
      String componentType,
      String componentId,
      String status,
      OffsetDateTime startTime,
      OffsetDateTime endTime,
      int page,
      int limit) implements StorageRequest {
    @Override public String action() { return StorageApi.TRACES_LIST; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("run_id", runId);
      json.put("session_id", sessionId);
      json.put("component_type", componentType);
      json.put("component_id", componentId);
      json.put("status", status);
      Fields.putTime(json, "start_time", startTime);
      Fields.putTime(json, "end_time", endTime);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static TracesList fromJson(JsonObject json) {
      return new TracesList(Fields.owner(json),
          Fields.string(json, "run_id"),
          Fields.string(json, "session_id"),
          Fields.string(json, "component_type"),
          Fields.string(json, "component_id"),
          Fields.string(json, "status"),
          Fields.time(json, "start_time"),
          Fields.time(json, "end_time"),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20));
    }
  }

  /** Trace counts per session. {@link StorageApi#TRACES_SESSION_STATS}. */
  record TracesSessionStats(Owner owner,
      String runId,
      String sessionId,
      String componentType,
      String componentId,
      String status,
      OffsetDateTime startTime,
      OffsetDateTime endTime,
      int page,
      int limit) implements StorageRequest {
    @Override public String action() { return StorageApi.TRACES_SESSION_STATS; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("run_id", runId);
      json.put("session_id", sessionId);
      json.put("component_type", componentType);
      json.put("component_id", componentId);
      json.put("status", status);
      Fields.putTime(json, "start_time", startTime);
      Fields.putTime(json, "end_time", endTime);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static TracesSessionStats fromJson(JsonObject json) {
      return new TracesSessionStats(Fields.owner(json),
          Fields.string(json, "run_id"),
          Fields.string(json, "session_id"),
          Fields.string(json, "component_type"),
          Fields.string(json, "component_id"),
          Fields.string(json, "status"),
          Fields.time(json, "start_time"),
          Fields.time(json, "end_time"),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20));
    }
  }

  /** Traces matching a filter (storage.TraceFilter), grouped by run or session. {@link StorageApi#TRACES_SEARCH}. */
  record TracesSearch(Owner owner, Object filter, String groupBy, int page, int limit) implements StorageRequest {
    @Override public String action() { return StorageApi.TRACES_SEARCH; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("filter", filter);
      json.put("group_by", groupBy);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static TracesSearch fromJson(JsonObject json) {
      return new TracesSearch(Fields.owner(json),
          json.getValue("filter"),
          Fields.string(json, "group_by"),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20));
    }
  }

  /** One trace with its span tree, or one span. {@link StorageApi#TRACES_GET}. */
  record TracesGet(Owner owner, String traceId, String spanId) implements StorageRequest {
    @Override public String action() { return StorageApi.TRACES_GET; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("trace_id", traceId);
      json.put("span_id", spanId);
      return json;
    }

    public static TracesGet fromJson(JsonObject json) {
      return new TracesGet(Fields.owner(json),
          Fields.string(json, "trace_id"),
          Fields.string(json, "span_id"));
    }
  }

  /** Stores a trace and its spans in one transaction. {@link StorageApi#TRACES_RECORD}. */
  record TracesRecord(Owner owner, JsonObject trace, JsonArray spans) implements StorageRequest {
    @Override public String action() { return StorageApi.TRACES_RECORD; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.withOwner(owner);
      json.put("trace", trace);
      json.put("spans", spans);
      return json;
    }

    public static TracesRecord fromJson(JsonObject json) {
      return new TracesRecord(Fields.owner(json), Fields.object(json, "trace"), Fields.array(json, "spans"));
    }
  }

  /**
   * A new service account (sealed: the creator is the seal's actor); {@code actsForUsers}: it may act for users who
   * consent ({@code X-Acting-For}). {@link StorageApi#SERVICE_ACCOUNTS_CREATE}.
   */
  record ServiceAccountsCreate(String name,
      String tokenHash,
      String tokenPrefix,
      List<String> scopes,
      OffsetDateTime expiresAt,
      String parentId,
      Object seal,
      boolean actsForUsers) implements StorageRequest {
    public ServiceAccountsCreate {
      scopes = scopes == null ? null : List.copyOf(scopes);
    }

    /** An account that acts only as itself. */
    public ServiceAccountsCreate(String name, String tokenHash, String tokenPrefix, List<String> scopes, OffsetDateTime expiresAt,
                                 String parentId, Object seal) {
      this(name, tokenHash, tokenPrefix, scopes, expiresAt, parentId, seal, false);
    }

    @Override public String action() { return StorageApi.SERVICE_ACCOUNTS_CREATE; }

    @Override public JsonObject toJson() {
      JsonObject json = new JsonObject();
      json.put("name", name);
      json.put("token_hash", tokenHash);
      json.put("token_prefix", tokenPrefix);
      json.put("scopes", Fields.list(scopes));
      Fields.putTime(json, "expires_at", expiresAt);
      json.put("parent_id", parentId);
      json.put("seal", seal);
      if (actsForUsers) json.put("acts_for_users", true);
      return json;
    }

    public static ServiceAccountsCreate fromJson(JsonObject json) {
      return new ServiceAccountsCreate(Fields.string(json, "name"),
          Fields.string(json, "token_hash"),
          Fields.string(json, "token_prefix"),
          Fields.strings(json, "scopes"),
          Fields.time(json, "expires_at"),
          Fields.string(json, "parent_id"),
          json.getValue("seal"),
          Fields.bool(json, "acts_for_users", false));
    }
  }

  /** A page of service accounts (never their hashes). {@link StorageApi#SERVICE_ACCOUNTS_LIST}. */
  record ServiceAccountsList(String tenant,
      boolean includeRevoked,
      int page,
      int limit,
      String sortOrder) implements StorageRequest {
    public ServiceAccountsList {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.SERVICE_ACCOUNTS_LIST; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.putTenant(new JsonObject(), tenant);
      json.put("include_revoked", includeRevoked);
      json.put("page", page);
      json.put("limit", limit);
      json.put("sort_order", sortOrder);
      return json;
    }

    public static ServiceAccountsList fromJson(JsonObject json) {
      return new ServiceAccountsList(Fields.tenant(json), Fields.bool(json, "include_revoked", true),
          Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20),
          Fields.string(json, "sort_order"));
    }
  }

  /** Revokes an account and every account it minted (sealed). {@link StorageApi#SERVICE_ACCOUNTS_REVOKE}. */
  record ServiceAccountsRevoke(String id, Object seal) implements StorageRequest {
    @Override public String action() { return StorageApi.SERVICE_ACCOUNTS_REVOKE; }

    @Override public JsonObject toJson() {
      JsonObject json = new JsonObject();
      json.put("id", id);
      json.put("seal", seal);
      return json;
    }

    public static ServiceAccountsRevoke fromJson(JsonObject json) {
      return new ServiceAccountsRevoke(Fields.string(json, "id"), json.getValue("seal"));
    }
  }

  /** The active account with this token hash. {@link StorageApi#SERVICE_ACCOUNTS_VERIFY}. */
  record ServiceAccountsVerify(String tokenHash) implements StorageRequest {
    @Override public String action() { return StorageApi.SERVICE_ACCOUNTS_VERIFY; }

    @Override public JsonObject toJson() {
      JsonObject json = new JsonObject();
      json.put("token_hash", tokenHash);
      return json;
    }

    public static ServiceAccountsVerify fromJson(JsonObject json) {
      return new ServiceAccountsVerify(Fields.string(json, "token_hash"));
    }
  }

  /**
   * Every managed role and assignment, and the users directory's disabled users; with {@code unassignedUsers}, also the
   * users it knows who hold no managed role (what the default role needs). {@link StorageApi#ROLES_SNAPSHOT}.
   */
  record RolesSnapshot(java.util.Optional<String> onlyTenant, boolean unassignedUsers) implements StorageRequest {
    public RolesSnapshot {
      onlyTenant = onlyTenant == null ? java.util.Optional.empty() : onlyTenant;
    }

    /** One tenant's, or every tenant's. */
    public RolesSnapshot(java.util.Optional<String> onlyTenant) {
      this(onlyTenant, false);
    }

    /** Every tenant's (the policy verticle's reload). */
    public RolesSnapshot() {
      this(java.util.Optional.empty());
    }

    @Override public String action() { return StorageApi.ROLES_SNAPSHOT; }

    @Override public JsonObject toJson() {
      JsonObject json = new JsonObject();
      onlyTenant.ifPresent(t -> json.put("only_tenant", t));
      if (unassignedUsers) json.put("unassigned_users", true);
      return json;
    }

    public static RolesSnapshot fromJson(JsonObject json) {
      return new RolesSnapshot(java.util.Optional.ofNullable(Fields.string(json, "only_tenant")),
          Fields.bool(json, "unassigned_users", false));
    }
  }

  /** Creates or replaces a managed role (sealed). {@link StorageApi#ROLES_PUT}. */
  record RolesPut(String name,
      List<String> scopes,
      List<String> deny,
      String description,
      Object seal) implements StorageRequest {
    public RolesPut {
      scopes = scopes == null ? null : List.copyOf(scopes);
      deny = deny == null ? null : List.copyOf(deny);
    }

    @Override public String action() { return StorageApi.ROLES_PUT; }

    @Override public JsonObject toJson() {
      JsonObject json = new JsonObject();
      json.put("name", name);
      json.put("scopes", Fields.list(scopes));
      json.put("deny", Fields.list(deny));
      json.put("description", description);
      json.put("seal", seal);
      return json;
    }

    public static RolesPut fromJson(JsonObject json) {
      return new RolesPut(Fields.string(json, "name"),
          Fields.strings(json, "scopes"),
          Fields.strings(json, "deny"),
          Fields.string(json, "description"),
          json.getValue("seal"));
    }
  }

  /** Deletes a managed role (sealed). {@link StorageApi#ROLES_DELETE}. */
  record RolesDelete(String name, Object seal, boolean keepAssignments) implements StorageRequest {
    /** A managed role's deletion: it is unassigned everywhere. */
    public RolesDelete(String name, Object seal) {
      this(name, seal, false);
    }

    @Override public String action() { return StorageApi.ROLES_DELETE; }

    @Override public JsonObject toJson() {
      JsonObject json = new JsonObject();
      json.put("name", name);
      json.put("seal", seal);
      if (keepAssignments) json.put("keep_assignments", true);
      return json;
    }

    public static RolesDelete fromJson(JsonObject json) {
      return new RolesDelete(Fields.string(json, "name"), json.getValue("seal"), Fields.bool(json, "keep_assignments", false));
    }
  }


  /** The managed roles assigned to a subject. {@link StorageApi#SUBJECT_ROLES_GET}. */
  record SubjectRolesGet(String tenant, String subject) implements StorageRequest {
    public SubjectRolesGet {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.SUBJECT_ROLES_GET; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.putTenant(new JsonObject(), tenant);
      json.put("subject", subject);
      return json;
    }

    public static SubjectRolesGet fromJson(JsonObject json) {
      return new SubjectRolesGet(Fields.tenant(json), Fields.string(json, "subject"));
    }
  }

  /** Replaces a subject's managed roles (sealed). {@link StorageApi#SUBJECT_ROLES_PUT}. */
  record SubjectRolesPut(String subject, List<String> roles, Object seal) implements StorageRequest {
    public SubjectRolesPut {
      roles = roles == null ? null : List.copyOf(roles);
    }

    @Override public String action() { return StorageApi.SUBJECT_ROLES_PUT; }

    @Override public JsonObject toJson() {
      JsonObject json = new JsonObject();
      json.put("subject", subject);
      json.put("roles", Fields.list(roles));
      json.put("seal", seal);
      return json;
    }

    public static SubjectRolesPut fromJson(JsonObject json) {
      return new SubjectRolesPut(Fields.string(json, "subject"),
          Fields.strings(json, "roles"),
          json.getValue("seal"));
    }
  }

  /** A page of the managed-role audit log. {@link StorageApi#AUTHZ_AUDIT}. */
  record AuthzAudit(String tenant, int page, int limit) implements StorageRequest {
    public AuthzAudit {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.AUTHZ_AUDIT; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.putTenant(new JsonObject(), tenant);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static AuthzAudit fromJson(JsonObject json) {
      return new AuthzAudit(Fields.tenant(json), Fields.integer(json, "page", 1), Fields.integer(json, "limit", 50));
    }
  }

  /** A subject's consents: the service accounts it lets act for it. {@link StorageApi#CONSENTS_LIST}. */
  record ConsentsList(String tenant, String subject) implements StorageRequest {
    public ConsentsList {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.CONSENTS_LIST; }

    @Override public JsonObject toJson() {
      return Fields.putTenant(new JsonObject(), tenant).put("subject", subject);
    }

    public static ConsentsList fromJson(JsonObject json) {
      return new ConsentsList(Fields.tenant(json), Fields.string(json, "subject"));
    }
  }

  /**
   * A user's consent to {@code actor} acting for them, granted ({@code granted}) or withdrawn, in the seal's tenant; the
   * subject is the seal's actor (the user who asked), never a field. {@link StorageApi#CONSENTS_PUT}.
   */
  record ConsentsPut(String actor, boolean granted, Object seal) implements StorageRequest {
    @Override public String action() { return StorageApi.CONSENTS_PUT; }

    @Override public JsonObject toJson() {
      return new JsonObject().put("actor", actor).put("granted", granted).put("seal", seal);
    }

    public static ConsentsPut fromJson(JsonObject json) {
      return new ConsentsPut(Fields.string(json, "actor"), Fields.bool(json, "granted", false), json.getValue("seal"));
    }
  }

  /** A page of a tenant's users directory. {@link StorageApi#USERS_LIST}. */
  record UsersList(String tenant,
      String search,
      Boolean disabled,
      String sortBy,
      String sortOrder,
      int page,
      int limit) implements StorageRequest {
    public UsersList {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.USERS_LIST; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.putTenant(new JsonObject(), tenant);
      json.put("search", search);
      json.put("disabled", disabled);
      json.put("sort_by", sortBy);
      json.put("sort_order", sortOrder);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static UsersList fromJson(JsonObject json) {
      Object disabled = json.getValue("disabled");
      if (disabled != null && !(disabled instanceof Boolean)) throw new IllegalArgumentException("disabled");
      return new UsersList(Fields.tenant(json), Fields.string(json, "search"), (Boolean) disabled,
          Fields.string(json, "sort_by"), Fields.string(json, "sort_order"), Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 20));
    }
  }

  /** One user of a tenant. {@link StorageApi#USERS_GET}. */
  record UsersGet(String tenant, String id) implements StorageRequest {
    public UsersGet {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.USERS_GET; }

    @Override public JsonObject toJson() {
      return Fields.putTenant(new JsonObject(), tenant).put("id", id);
    }

    public static UsersGet fromJson(JsonObject json) {
      return new UsersGet(Fields.tenant(json), Fields.string(json, "id"));
    }
  }

  /**
   * An admin's change to a user, in the seal's tenant (sealed: {@code PATCH /users/{id}}; the actor is the seal's): each
   * field given is set, {@code null} leaves it. {@link StorageApi#USERS_UPDATE}.
   */
  record UsersUpdate(String id, String email, String name, Boolean disabled, Object seal) implements StorageRequest {
    @Override public String action() { return StorageApi.USERS_UPDATE; }

    @Override public JsonObject toJson() {
      return new JsonObject().put("id", id).put("email", email).put("name", name).put("disabled", disabled).put("seal", seal);
    }

    public static UsersUpdate fromJson(JsonObject json) {
      Object disabled = json.getValue("disabled");
      if (disabled != null && !(disabled instanceof Boolean)) throw new IllegalArgumentException("disabled");
      return new UsersUpdate(Fields.string(json, "id"), Fields.string(json, "email"), Fields.string(json, "name"),
          (Boolean) disabled, json.getValue("seal"));
    }
  }

  /**
   * A user's first authenticated request, from the policy verticle: adds the user (profile from the token's claims)
   * unless known, and then assigns the storage node's configured {@code authorization.default_role}, never a role the
   * message names, when the user holds no managed role. Idempotent. {@link StorageApi#USERS_PROVISION}.
   */
  record UsersProvision(String tenant, String id, String email, String name) implements StorageRequest {
    public UsersProvision {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.USERS_PROVISION; }

    @Override public JsonObject toJson() {
      return Fields.putTenant(new JsonObject(), tenant).put("id", id).put("email", email).put("name", name);
    }

    public static UsersProvision fromJson(JsonObject json) {
      return new UsersProvision(Fields.tenant(json), Fields.string(json, "id"), Fields.string(json, "email"),
          Fields.string(json, "name"));
    }
  }

  /** Counts of a tenant's users directory. {@link StorageApi#USERS_METRICS}. */
  record UsersMetrics(String tenant) implements StorageRequest {
    public UsersMetrics {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.USERS_METRICS; }

    @Override public JsonObject toJson() {
      return Fields.putTenant(new JsonObject(), tenant);
    }

    public static UsersMetrics fromJson(JsonObject json) {
      return new UsersMetrics(Fields.tenant(json));
    }
  }

  /**
   * A batch of decision records, each {@code {tenant, at, decision_id, subject, principal_kind, method, path, route,
   * required[], held[], result, reasons[], token_ref}} (docs/authorization.md, "Decision records").
   * {@link StorageApi#DECISIONS_RECORD}.
   */
  record DecisionsRecord(JsonArray records) implements StorageRequest {
    @Override public String action() { return StorageApi.DECISIONS_RECORD; }

    @Override public JsonObject toJson() {
      return new JsonObject().put("records", records);
    }

    public static DecisionsRecord fromJson(JsonObject json) {
      return new DecisionsRecord(Fields.array(json, "records"));
    }
  }

  /** A page of one tenant's decision records, newest first. {@link StorageApi#DECISIONS_LIST}. */
  record DecisionsList(String tenant,
      String subject,
      String result,
      String path,
      OffsetDateTime from,
      OffsetDateTime to,
      int page,
      int limit) implements StorageRequest {
    public DecisionsList {
      tenant = tenant == null ? Owner.IMPLICIT_TENANT : tenant;
    }

    @Override public String action() { return StorageApi.DECISIONS_LIST; }

    @Override public JsonObject toJson() {
      JsonObject json = Fields.putTenant(new JsonObject(), tenant);
      json.put("subject", subject);
      json.put("result", result);
      json.put("path", path);
      Fields.putTime(json, "from", from);
      Fields.putTime(json, "to", to);
      json.put("page", page);
      json.put("limit", limit);
      return json;
    }

    public static DecisionsList fromJson(JsonObject json) {
      return new DecisionsList(Fields.tenant(json), Fields.string(json, "subject"), Fields.string(json, "result"),
          Fields.string(json, "path"), Fields.time(json, "from"), Fields.time(json, "to"), Fields.integer(json, "page", 1),
          Fields.integer(json, "limit", 50));
    }
  }

  /** One request type: its class, its action and its JSON reader. */
  record Type<T extends StorageRequest>(Class<T> type, String action, Function<JsonObject, T> fromJson) {}

  /** Every request type, in {@link StorageApi}'s order. */
  List<Type<?>> TYPES = List.of(
      new Type<>(Ping.class, StorageApi.PING, Ping::fromJson),
      new Type<>(SessionsList.class, StorageApi.SESSIONS_LIST, SessionsList::fromJson),
      new Type<>(SessionsGet.class, StorageApi.SESSIONS_GET, SessionsGet::fromJson),
      new Type<>(SessionsCreate.class, StorageApi.SESSIONS_CREATE, SessionsCreate::fromJson),
      new Type<>(SessionsUpdate.class, StorageApi.SESSIONS_UPDATE, SessionsUpdate::fromJson),
      new Type<>(SessionsDelete.class, StorageApi.SESSIONS_DELETE, SessionsDelete::fromJson),
      new Type<>(SessionRuns.class, StorageApi.SESSION_RUNS, SessionRuns::fromJson),
      new Type<>(SessionRun.class, StorageApi.SESSION_RUN, SessionRun::fromJson),
      new Type<>(RunsLocate.class, StorageApi.RUNS_LOCATE, RunsLocate::fromJson),
      new Type<>(SessionsEnsure.class, StorageApi.SESSIONS_ENSURE, SessionsEnsure::fromJson),
      new Type<>(SessionsFork.class, StorageApi.SESSIONS_FORK, SessionsFork::fromJson),
      new Type<>(RunsRecord.class, StorageApi.RUNS_RECORD, RunsRecord::fromJson),
      new Type<>(MemoriesList.class, StorageApi.MEMORIES_LIST, MemoriesList::fromJson),
      new Type<>(MemoriesGet.class, StorageApi.MEMORIES_GET, MemoriesGet::fromJson),
      new Type<>(MemoriesCreate.class, StorageApi.MEMORIES_CREATE, MemoriesCreate::fromJson),
      new Type<>(MemoriesUpdate.class, StorageApi.MEMORIES_UPDATE, MemoriesUpdate::fromJson),
      new Type<>(MemoriesDelete.class, StorageApi.MEMORIES_DELETE, MemoriesDelete::fromJson),
      new Type<>(MemoryTopics.class, StorageApi.MEMORY_TOPICS, MemoryTopics::fromJson),
      new Type<>(MemoryStats.class, StorageApi.MEMORY_STATS, MemoryStats::fromJson),
      new Type<>(TracesList.class, StorageApi.TRACES_LIST, TracesList::fromJson),
      new Type<>(TracesSessionStats.class, StorageApi.TRACES_SESSION_STATS, TracesSessionStats::fromJson),
      new Type<>(TracesSearch.class, StorageApi.TRACES_SEARCH, TracesSearch::fromJson),
      new Type<>(TracesGet.class, StorageApi.TRACES_GET, TracesGet::fromJson),
      new Type<>(TracesRecord.class, StorageApi.TRACES_RECORD, TracesRecord::fromJson),
      new Type<>(ServiceAccountsCreate.class, StorageApi.SERVICE_ACCOUNTS_CREATE, ServiceAccountsCreate::fromJson),
      new Type<>(ServiceAccountsList.class, StorageApi.SERVICE_ACCOUNTS_LIST, ServiceAccountsList::fromJson),
      new Type<>(ServiceAccountsRevoke.class, StorageApi.SERVICE_ACCOUNTS_REVOKE, ServiceAccountsRevoke::fromJson),
      new Type<>(ServiceAccountsVerify.class, StorageApi.SERVICE_ACCOUNTS_VERIFY, ServiceAccountsVerify::fromJson),
      new Type<>(RolesSnapshot.class, StorageApi.ROLES_SNAPSHOT, RolesSnapshot::fromJson),
      new Type<>(RolesPut.class, StorageApi.ROLES_PUT, RolesPut::fromJson),
      new Type<>(RolesDelete.class, StorageApi.ROLES_DELETE, RolesDelete::fromJson),
      new Type<>(SubjectRolesGet.class, StorageApi.SUBJECT_ROLES_GET, SubjectRolesGet::fromJson),
      new Type<>(SubjectRolesPut.class, StorageApi.SUBJECT_ROLES_PUT, SubjectRolesPut::fromJson),
      new Type<>(AuthzAudit.class, StorageApi.AUTHZ_AUDIT, AuthzAudit::fromJson),
      new Type<>(ConsentsList.class, StorageApi.CONSENTS_LIST, ConsentsList::fromJson),
      new Type<>(ConsentsPut.class, StorageApi.CONSENTS_PUT, ConsentsPut::fromJson),
      new Type<>(UsersList.class, StorageApi.USERS_LIST, UsersList::fromJson),
      new Type<>(UsersGet.class, StorageApi.USERS_GET, UsersGet::fromJson),
      new Type<>(UsersUpdate.class, StorageApi.USERS_UPDATE, UsersUpdate::fromJson),
      new Type<>(UsersProvision.class, StorageApi.USERS_PROVISION, UsersProvision::fromJson),
      new Type<>(UsersMetrics.class, StorageApi.USERS_METRICS, UsersMetrics::fromJson),
      new Type<>(DecisionsRecord.class, StorageApi.DECISIONS_RECORD, DecisionsRecord::fromJson),
      new Type<>(DecisionsList.class, StorageApi.DECISIONS_LIST, DecisionsList::fromJson));

  /** The request a JSON sender meant by {@code action}, or empty for an action this API does not know. */
  static java.util.Optional<StorageRequest> fromJson(String action, JsonObject json) {
    Type<?> type = action == null ? null : Types.BY_ACTION.get(action);
    return type == null ? java.util.Optional.empty()
        : java.util.Optional.of(type.fromJson().apply(json == null ? new JsonObject() : json));
  }

  /** Holder of the look-up table (interfaces cannot have private static fields). */
  final class Types {
    private Types() {}

    static final Map<String, Type<?>> BY_ACTION = TYPES.stream().collect(Collectors.toUnmodifiableMap(Type::action, t -> t));
  }
}
