package dev.agentos.http.routes;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Owner;
import dev.agentos.contract.Principal;
import dev.agentos.contract.StorageRequest;
import dev.agentos.http.support.DetailedFailure;
import dev.agentos.http.support.InputRules;
import dev.agentos.http.support.IsolationRule;
import dev.agentos.http.support.JsonBodies;
import dev.agentos.http.support.RequestContext;
import dev.agentos.http.support.ValidationFailure;
import dev.agentos.http.support.VerticleFailures;
import dev.agentos.storage.StorageClient;
import dev.agentos.storage.TraceFilter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Sessions, memories and traces over HTTP, with agno's shapes. This class validates input and decides
 * the {@link Owner} from the policy decision (never from a body or query when the caller is scoped); the
 * storage verticle does the rest over the event bus.
 */
public final class DataRoutes {
  private static final Set<String> SESSION_TYPES = Set.of("agent", "team", "workflow");
  private static final int MAX_LIMIT = 1_000;
  /**
   * Run listings and a session's chat history take agno's {@code page} and {@code limit}; a page is at most this many
   * runs, and without {@code limit} exactly this many (agno answers every run, which for a long session is tens of
   * megabytes): what one answer holds in memory is bounded by the page, not by the session.
   */
  public static final int RUN_PAGE = 100;

  private final StorageClient storage;
  private final AgentOsConfig.Authorization config;

  public DataRoutes(Vertx vertx, AgentOsConfig.Authorization config, StorageClient storage) {
    this.storage = storage;
    this.config = config;
  }

  public void mount(Router router) {
    router.get("/sessions").handler(this::listSessions);
    router.post("/sessions").handler(this::createSession);
    router.delete("/sessions").handler(this::deleteSessions);
    router.get("/sessions/:session_id").handler(this::getSession);
    router.patch("/sessions/:session_id").handler(this::updateSession);
    router.delete("/sessions/:session_id").handler(this::deleteSession);
    router.post("/sessions/:session_id/rename").handler(this::renameSession);
    router.get("/sessions/:session_id/runs").handler(this::sessionRuns);
    router.get("/sessions/:session_id/runs/:run_id").handler(this::sessionRun);

    router.get("/memories").handler(this::listMemories);
    router.post("/memories").handler(this::createMemory);
    router.delete("/memories").handler(this::deleteMemories);
    router.get("/memories/:memory_id").handler(this::getMemory);
    router.patch("/memories/:memory_id").handler(this::updateMemory);
    router.delete("/memories/:memory_id").handler(this::deleteMemory);
    router.get("/memory_topics").handler(this::memoryTopics);
    router.get("/user_memory_stats").handler(this::memoryStats);

    router.get("/traces").handler(this::listTraces);
    router.get("/traces/filter-schema").handler(ctx -> JsonBodies.respond(ctx, 200, TraceFilter.schema()));
    router.post("/traces/search").handler(this::searchTraces);
    router.get("/traces/:trace_id").handler(this::getTrace);
    router.get("/trace_session_stats").handler(this::traceSessionStats);
  }

  // ---- sessions ---------------------------------------------------------------------------------------

  private void listSessions(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.SessionsList(owner, sessionType(ctx, false), query(ctx, "component_id"),
        query(ctx, "session_name"), intParam(ctx, "page", 1, 1, Integer.MAX_VALUE), intParam(ctx, "limit", 20, 1, MAX_LIMIT),
        oneOf(ctx, "sort_by", "created_at", Set.of("created_at", "updated_at", "session_name")),
        oneOf(ctx, "sort_order", "desc", Set.of("asc", "desc"))), 200, DataRoutes::asIs);
  }

  private void getSession(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    // chat_history shows one page of the session's runs, the latest first: a long session never loads whole
    storage(ctx, new StorageRequest.SessionsGet(owner, ctx.pathParam("session_id"), sessionType(ctx, false),
        intParam(ctx, "page", 1, 1, Integer.MAX_VALUE), intParam(ctx, "limit", RUN_PAGE, 1, RUN_PAGE)), 200, DataRoutes::asIs);
  }

  /** agno §2.2: the new session belongs to the caller's sub whenever there is one, for everyone. */
  private void createSession(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String type = sessionType(ctx, true);
    Principal principal = principal(ctx);
    readOwner(ctx, null); // isolation's fail-closed rule applies to writes too
    String bodyUser = optionalString(body, "user_id");
    if (bodyUser != null && bodyUser.isEmpty()) bodyUser = null;
    String ownerId = principal.userId().orElse(bodyUser);
    String tenant = RequestContext.decision(ctx).tenantId();
    Owner owner = ownerId == null ? Owner.everyoneIn(tenant) : Owner.of(tenant, ownerId);
    String sessionId = optionalString(body, "session_id");
    if (sessionId != null && sessionId.isEmpty()) throw new ValidationFailure("body", "session_id", "must not be empty", "string_too_short");
    if (sessionId != null) InputRules.id("body", "session_id", sessionId);
    storage(ctx, new StorageRequest.SessionsCreate(owner, sessionId == null ? UUID.randomUUID().toString() : sessionId, type,
        optionalString(body, type + "_id"), optionalString(body, "session_name"), optionalObject(body, "session_state"),
        optionalObject(body, "metadata")), 201, DataRoutes::asIs);
  }

  private void updateSession(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.SessionsUpdate(owner, ctx.pathParam("session_id"), sessionType(ctx, false),
        optionalString(body, "session_name"), optionalObject(body, "session_state"), optionalObject(body, "metadata"),
        optionalObject(body, "summary")), 200, DataRoutes::asIs);
  }

  private void renameSession(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    String name = optionalString(body, "session_name");
    if (name == null || name.isBlank()) throw new ValidationFailure("body", "session_name", "Field required", "missing");
    storage(ctx, new StorageRequest.SessionsUpdate(owner, ctx.pathParam("session_id"), sessionType(ctx, false), name, null,
        null, null), 200, DataRoutes::asIs);
  }

  private void deleteSession(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.SessionsDelete(owner, List.of(ctx.pathParam("session_id")), null), 204,
        DataRoutes::asIs);
  }

  private void deleteSessions(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    List<String> ids = stringList(body, "session_ids", true);
    List<String> types = stringList(body, "session_types", true);
    if (ids.size() != types.size()) {
      throw new DetailedFailure(400, "session_ids and session_types must have the same length");
    }
    for (String t : types) {
      if (!SESSION_TYPES.contains(t)) throw new ValidationFailure("body", "session_types", "Input should be 'agent', 'team' or 'workflow'", "enum");
    }
    storage(ctx, new StorageRequest.SessionsDelete(owner, ids, types), 204, DataRoutes::asIs);
  }

  private void sessionRuns(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    sessionType(ctx, false);
    StorageRequest request = new StorageRequest.SessionRuns(owner, ctx.pathParam("session_id"), timeParam(ctx, "created_after"),
        timeParam(ctx, "created_before"), intParam(ctx, "page", 1, 1, Integer.MAX_VALUE), intParam(ctx, "limit", RUN_PAGE, 1, RUN_PAGE));
    // the page is the JSON text PostgreSQL wrote: passed through, never parsed here
    storage.requestText(request).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(VerticleFailures.storage(ar.cause()));
        return;
      }
      JsonBodies.respondText(ctx, 200, ar.result());
    });
  }

  private void sessionRun(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.SessionRun(owner, ctx.pathParam("session_id"), ctx.pathParam("run_id")), 200,
        DataRoutes::asIs);
  }

  // ---- memories ---------------------------------------------------------------------------------------

  private void listMemories(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    List<String> topics = new ArrayList<>();
    for (String t : ctx.queryParam("topics")) for (String part : t.split(",")) if (!part.isBlank()) topics.add(part.strip());
    storage(ctx, new StorageRequest.MemoriesList(owner, query(ctx, "agent_id"), query(ctx, "team_id"),
        topics.isEmpty() ? null : topics, query(ctx, "search_content"), intParam(ctx, "page", 1, 1, Integer.MAX_VALUE),
        intParam(ctx, "limit", 20, 1, MAX_LIMIT), oneOf(ctx, "sort_by", "updated_at", Set.of("updated_at", "created_at", "memory")),
        oneOf(ctx, "sort_order", "desc", Set.of("asc", "desc"))), 200, DataRoutes::asIs);
  }

  private void getMemory(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.MemoriesGet(owner, ctx.pathParam("memory_id")), 200, DataRoutes::asIs);
  }

  /** agno: the owner is the scoped user; otherwise the body's user_id, which is then required. */
  private void createMemory(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String memory = memoryText(body);
    List<String> topics = body.containsKey("topics") && body.getValue("topics") != null ? stringList(body, "topics", false) : null;
    Owner owner = readOwner(ctx, optionalString(body, "user_id"));
    if (owner.isEveryone()) throw new DetailedFailure(400, "User ID is required");
    storage(ctx, new StorageRequest.MemoriesCreate(owner, memory, topics, optionalString(body, "agent_id"),
        optionalString(body, "team_id")), 200, DataRoutes::asIs);
  }

  private void updateMemory(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String memory = memoryText(body);
    List<String> topics = body.containsKey("topics") && body.getValue("topics") != null ? stringList(body, "topics", false) : null;
    Owner owner = readOwner(ctx, optionalString(body, "user_id") != null ? optionalString(body, "user_id") : query(ctx, "user_id"));
    storage(ctx, new StorageRequest.MemoriesUpdate(owner, ctx.pathParam("memory_id"), memory, topics), 200, DataRoutes::asIs);
  }

  private void deleteMemory(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.MemoriesDelete(owner, List.of(ctx.pathParam("memory_id"))), 204, DataRoutes::asIs);
  }

  private void deleteMemories(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    List<String> ids = stringList(body, "memory_ids", true);
    Owner owner = readOwner(ctx, optionalString(body, "user_id"));
    storage(ctx, new StorageRequest.MemoriesDelete(owner, ids), 204, DataRoutes::asIs);
  }

  private void memoryTopics(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.MemoryTopics(owner), 200, reply -> reply.getJsonArray("topics"));
  }

  private void memoryStats(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.MemoryStats(owner, intParam(ctx, "page", 1, 1, Integer.MAX_VALUE),
        intParam(ctx, "limit", 20, 1, MAX_LIMIT)), 200, DataRoutes::asIs);
  }

  // ---- traces -----------------------------------------------------------------------------------------

  /** The trace listings' query: filters, then the page. */
  private record TraceQuery(String runId, String sessionId, String componentType, String componentId, String status,
                            OffsetDateTime startTime, OffsetDateTime endTime, int page, int limit) {}

  private TraceQuery traceQuery(RoutingContext ctx) {
    String runId = query(ctx, "run_id");
    String sessionId = query(ctx, "session_id");
    OffsetDateTime start = timeParam(ctx, "start_time");
    OffsetDateTime end = timeParam(ctx, "end_time");
    int page = intParam(ctx, "page", 1, 1, Integer.MAX_VALUE);
    int limit = intParam(ctx, "limit", 20, 1, MAX_LIMIT);
    String status = query(ctx, "status");
    if (status != null && !status.equals("OK") && !status.equals("ERROR")) {
      throw new ValidationFailure("query", "status", "Input should be 'OK' or 'ERROR'", "enum");
    }
    String componentType = null;
    String componentId = null;
    int components = 0;
    for (String family : List.of("agent", "team", "workflow")) {
      String id = query(ctx, family + "_id");
      if (id != null) {
        components++;
        componentType = family;
        componentId = id;
      }
    }
    if (components > 1) throw new ValidationFailure("query", "agent_id", "Give at most one of agent_id, team_id, workflow_id", "value_error");
    return new TraceQuery(runId, sessionId, componentType, componentId, status, start, end, page, limit);
  }

  private void listTraces(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    TraceQuery q = traceQuery(ctx);
    storage(ctx, new StorageRequest.TracesList(owner, q.runId(), q.sessionId(), q.componentType(), q.componentId(), q.status(),
        q.startTime(), q.endTime(), q.page(), q.limit()), 200, DataRoutes::asIs);
  }

  private void traceSessionStats(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    TraceQuery q = traceQuery(ctx);
    storage(ctx, new StorageRequest.TracesSessionStats(owner, q.runId(), q.sessionId(), q.componentType(), q.componentId(),
        q.status(), q.startTime(), q.endTime(), q.page(), q.limit()), 200, DataRoutes::asIs);
  }

  private void getTrace(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, new StorageRequest.TracesGet(owner, ctx.pathParam("trace_id"), query(ctx, "span_id")), 200, DataRoutes::asIs);
  }

  private void searchTraces(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Owner owner = readOwner(ctx, optionalString(body, "user_id"));
    Object groupBy = body.getValue("group_by", "run");
    if (!"run".equals(groupBy) && !"session".equals(groupBy)) {
      throw new ValidationFailure("body", "group_by", "Input should be 'run' or 'session'", "enum");
    }
    int page = bodyInt(body, "page", 1, 1, Integer.MAX_VALUE);
    int limit = bodyInt(body, "limit", 20, 1, MAX_LIMIT);
    Object filter = body.getValue("filter");
    if (filter != null && !(filter instanceof JsonObject)) throw new ValidationFailure("body", "filter", "Input should be an object", "dict_type");
    try {
      TraceFilter.compile(filter, 2); // validate here, so a bad filter is a 422 before any I/O
    } catch (dev.agentos.storage.StorageFailure invalid) {
      throw new ValidationFailure("body", "filter", invalid.getMessage(), "value_error");
    }
    storage(ctx, new StorageRequest.TracesSearch(owner, filter, (String) groupBy, page, limit), 200, DataRoutes::asIs);
  }

  // ---- ownership --------------------------------------------------------------------------------------

  /**
   * docs/isolation.md: a scoped caller gets its own user id whatever it asked for;
   * an unscoped one (admin, isolation off, security key) gets what it asked for, or everyone; always in the tenant
   * the decision names. With isolation on, a non-admin JWT without a user id is refused rather than shown everything.
   */
  private Owner readOwner(RoutingContext ctx, String requestedUserId) {
    Decision decision = RequestContext.decision(ctx);
    Principal principal = principal(ctx);
    if (decision.scopedUserId().isPresent()) return decision.owner();
    IsolationRule.requireUserId(config, decision, principal);
    return requestedUserId == null || requestedUserId.isEmpty() ? Owner.everyoneIn(decision.tenantId())
        : Owner.of(decision.tenantId(), requestedUserId);
  }

  private static Principal principal(RoutingContext ctx) {
    return RequestContext.principal(ctx);
  }

  // ---- storage over the event bus ---------------------------------------------------------------------

  private void storage(RoutingContext ctx, StorageRequest request, int status, Function<JsonObject, Object> shape) {
    storage.request(request).onComplete(ar -> {
      if (ar.succeeded()) {
        if (status == 204) {
          ctx.response().setStatusCode(204).end();
        } else {
          Object body = shape.apply(ar.result());
          ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
              .end(body instanceof JsonArray a ? a.encode() : ((JsonObject) body).encode());
        }
        return;
      }
      ctx.fail(VerticleFailures.storage(ar.cause()));
    });
  }

  private static Object asIs(JsonObject reply) {
    return reply;
  }

  // ---- input ------------------------------------------------------------------------------------------


  private static String query(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    if (values.isEmpty()) return null;
    if (values.size() > 1) throw new ValidationFailure("query", name, "Give this parameter once", "value_error");
    return values.get(0);
  }

  private static String sessionType(RoutingContext ctx, boolean defaultAgent) {
    String type = query(ctx, "type");
    if (type == null) return defaultAgent ? "agent" : null;
    if (!SESSION_TYPES.contains(type)) throw new ValidationFailure("query", "type", "Input should be 'agent', 'team' or 'workflow'", "enum");
    return type;
  }

  private static int intParam(RoutingContext ctx, String name, int def, int min, int max) {
    String raw = query(ctx, name);
    if (raw == null) return def;
    try {
      int v = Integer.parseInt(raw.strip());
      if (v < min || v > max) throw new ValidationFailure("query", name, "Input should be between " + min + " and " + max, "value_error");
      return v;
    } catch (NumberFormatException e) {
      throw new ValidationFailure("query", name, "Input should be a valid integer", "int_parsing");
    }
  }

  private static int bodyInt(JsonObject body, String name, int def, int min, int max) {
    Object v = body.getValue(name);
    if (v == null) return def;
    if (!(v instanceof Integer i) || i < min || i > max) {
      throw new ValidationFailure("body", name, "Input should be an integer between " + min + " and " + max, "int_type");
    }
    return i;
  }

  private static String oneOf(RoutingContext ctx, String name, String def, Set<String> allowed) {
    String v = query(ctx, name);
    if (v == null) return def;
    if (!allowed.contains(v)) throw new ValidationFailure("query", name, "Input should be one of " + allowed, "enum");
    return v;
  }

  /** ISO 8601 (with or without offset: UTC assumed) or epoch seconds, normalised to ISO with offset. */
  private static OffsetDateTime timeParam(RoutingContext ctx, String name) {
    String raw = query(ctx, name);
    if (raw == null) return null;
    try {
      if (raw.matches("-?\\d{1,12}")) return Instant.ofEpochSecond(Long.parseLong(raw)).atOffset(ZoneOffset.UTC);
      try {
        return OffsetDateTime.parse(raw);
      } catch (DateTimeParseException e) {
        return java.time.LocalDateTime.parse(raw).atOffset(ZoneOffset.UTC);
      }
    } catch (java.time.DateTimeException e) {
      throw new ValidationFailure("query", name, "Input should be an ISO 8601 date-time or epoch seconds", "datetime_parsing");
    }
  }


  private static String optionalString(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) return null;
    if (!(v instanceof String s)) throw new ValidationFailure("body", field, "Input should be a valid string", "string_type");
    if (s.length() > 10_000) throw new ValidationFailure("body", field, "String should have at most 10000 characters", "string_too_long");
    return s;
  }

  private static JsonObject optionalObject(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) return null;
    if (!(v instanceof JsonObject o)) throw new ValidationFailure("body", field, "Input should be a valid dictionary", "dict_type");
    return o;
  }

  private static List<String> stringList(JsonObject body, String field, boolean nonEmpty) {
    Object v = body.getValue(field);
    if (v == null) throw new ValidationFailure("body", field, "Field required", "missing");
    if (!(v instanceof JsonArray arr)) throw new ValidationFailure("body", field, "Input should be a valid list", "list_type");
    if (nonEmpty && arr.isEmpty()) throw new ValidationFailure("body", field, "List should have at least 1 item", "too_short");
    if (arr.size() > 1_000) throw new ValidationFailure("body", field, "List should have at most 1000 items", "too_long");
    List<String> out = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) throw new ValidationFailure("body", field, "Input should be a list of strings", "string_type");
      out.add(s);
    }
    return out;
  }

  private static String memoryText(JsonObject body) {
    Object v = body.getValue("memory");
    if (v == null) throw new ValidationFailure("body", "memory", "Field required", "missing");
    if (!(v instanceof String s)) throw new ValidationFailure("body", "memory", "Input should be a valid string", "string_type");
    if (s.isEmpty() || s.length() > 5_000) {
      throw new ValidationFailure("body", "memory", "String should have between 1 and 5000 characters", "string_length");
    }
    return s;
  }
}
