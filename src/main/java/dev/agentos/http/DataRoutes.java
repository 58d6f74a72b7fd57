package dev.agentos.http;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Decision;
import dev.agentos.storage.Owner;
import dev.agentos.contract.StorageApi;
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
final class DataRoutes {
  private static final Set<String> SESSION_TYPES = Set.of("agent", "team", "workflow");
  private static final int MAX_LIMIT = 1_000;

  private final StorageClient storage;
  private final AgentOsConfig.Authorization config;

  DataRoutes(Vertx vertx, AgentOsConfig.Authorization config, StorageClient storage) {
    this.storage = storage;
    this.config = config;
  }

  void mount(Router router) {
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
    JsonObject req = owner.into(new JsonObject()).put("type", sessionType(ctx, false))
        .put("component_id", query(ctx, "component_id")).put("session_name", query(ctx, "session_name"))
        .put("page", intParam(ctx, "page", 1, 1, Integer.MAX_VALUE)).put("limit", intParam(ctx, "limit", 20, 1, MAX_LIMIT))
        .put("sort_by", oneOf(ctx, "sort_by", "created_at", Set.of("created_at", "updated_at", "session_name")))
        .put("sort_order", oneOf(ctx, "sort_order", "desc", Set.of("asc", "desc")));
    storage(ctx, StorageApi.SESSIONS_LIST, req, 200, DataRoutes::asIs);
  }

  private void getSession(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.SESSIONS_GET, owner.into(new JsonObject()).put("session_id", ctx.pathParam("session_id"))
        .put("type", sessionType(ctx, false)), 200, DataRoutes::asIs);
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
    Owner owner = ownerId == null ? Owner.everyone() : Owner.user(ownerId);
    String sessionId = optionalString(body, "session_id");
    if (sessionId != null && sessionId.isEmpty()) throw new ValidationFailure("body", "session_id", "must not be empty", "string_too_short");
    if (sessionId != null) InputRules.id("body", "session_id", sessionId);
    JsonObject req = owner.into(new JsonObject()).put("session_id", sessionId == null ? UUID.randomUUID().toString() : sessionId)
        .put("session_type", type).put("component_id", optionalString(body, type + "_id"))
        .put("session_name", optionalString(body, "session_name"))
        .put("session_state", optionalObject(body, "session_state")).put("metadata", optionalObject(body, "metadata"));
    storage(ctx, StorageApi.SESSIONS_CREATE, req, 201, DataRoutes::asIs);
  }

  private void updateSession(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    JsonObject req = owner.into(new JsonObject()).put("session_id", ctx.pathParam("session_id"))
        .put("type", sessionType(ctx, false)).put("session_name", optionalString(body, "session_name"))
        .put("session_state", optionalObject(body, "session_state")).put("metadata", optionalObject(body, "metadata"))
        .put("summary", optionalObject(body, "summary"));
    storage(ctx, StorageApi.SESSIONS_UPDATE, req, 200, DataRoutes::asIs);
  }

  private void renameSession(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    String name = optionalString(body, "session_name");
    if (name == null || name.isBlank()) throw new ValidationFailure("body", "session_name", "Field required", "missing");
    storage(ctx, StorageApi.SESSIONS_UPDATE, owner.into(new JsonObject()).put("session_id", ctx.pathParam("session_id"))
        .put("type", sessionType(ctx, false)).put("session_name", name), 200, DataRoutes::asIs);
  }

  private void deleteSession(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.SESSIONS_DELETE, owner.into(new JsonObject())
        .put("session_ids", new JsonArray().add(ctx.pathParam("session_id"))), 204, DataRoutes::asIs);
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
    storage(ctx, StorageApi.SESSIONS_DELETE, owner.into(new JsonObject()).put("session_ids", new JsonArray(ids))
        .put("session_types", new JsonArray(types)), 204, DataRoutes::asIs);
  }

  private void sessionRuns(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    sessionType(ctx, false);
    JsonObject req = owner.into(new JsonObject()).put("session_id", ctx.pathParam("session_id"))
        .put("created_after", timeParam(ctx, "created_after")).put("created_before", timeParam(ctx, "created_before"));
    storage(ctx, StorageApi.SESSION_RUNS, req, 200, reply -> reply.getJsonArray("runs"));
  }

  private void sessionRun(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.SESSION_RUN, owner.into(new JsonObject()).put("session_id", ctx.pathParam("session_id"))
        .put("run_id", ctx.pathParam("run_id")), 200, DataRoutes::asIs);
  }

  // ---- memories ---------------------------------------------------------------------------------------

  private void listMemories(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    List<String> topics = new ArrayList<>();
    for (String t : ctx.queryParam("topics")) for (String part : t.split(",")) if (!part.isBlank()) topics.add(part.strip());
    JsonObject req = owner.into(new JsonObject()).put("agent_id", query(ctx, "agent_id")).put("team_id", query(ctx, "team_id"))
        .put("search_content", query(ctx, "search_content"))
        .put("page", intParam(ctx, "page", 1, 1, Integer.MAX_VALUE)).put("limit", intParam(ctx, "limit", 20, 1, MAX_LIMIT))
        .put("sort_by", oneOf(ctx, "sort_by", "updated_at", Set.of("updated_at", "created_at", "memory")))
        .put("sort_order", oneOf(ctx, "sort_order", "desc", Set.of("asc", "desc")));
    if (!topics.isEmpty()) req.put("topics", new JsonArray(topics));
    storage(ctx, StorageApi.MEMORIES_LIST, req, 200, DataRoutes::asIs);
  }

  private void getMemory(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.MEMORIES_GET, owner.into(new JsonObject()).put("memory_id", ctx.pathParam("memory_id")),
        200, DataRoutes::asIs);
  }

  /** agno: the owner is the scoped user; otherwise the body's user_id, which is then required. */
  private void createMemory(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String memory = memoryText(body);
    List<String> topics = body.containsKey("topics") && body.getValue("topics") != null ? stringList(body, "topics", false) : null;
    Owner owner = readOwner(ctx, optionalString(body, "user_id"));
    if (owner.isEveryone()) throw new DetailedFailure(400, "User ID is required");
    JsonObject req = owner.into(new JsonObject()).put("memory", memory)
        .put("agent_id", optionalString(body, "agent_id")).put("team_id", optionalString(body, "team_id"));
    if (topics != null) req.put("topics", new JsonArray(topics));
    storage(ctx, StorageApi.MEMORIES_CREATE, req, 200, DataRoutes::asIs);
  }

  private void updateMemory(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String memory = memoryText(body);
    List<String> topics = body.containsKey("topics") && body.getValue("topics") != null ? stringList(body, "topics", false) : null;
    Owner owner = readOwner(ctx, optionalString(body, "user_id") != null ? optionalString(body, "user_id") : query(ctx, "user_id"));
    JsonObject req = owner.into(new JsonObject()).put("memory_id", ctx.pathParam("memory_id")).put("memory", memory);
    if (topics != null) req.put("topics", new JsonArray(topics));
    storage(ctx, StorageApi.MEMORIES_UPDATE, req, 200, DataRoutes::asIs);
  }

  private void deleteMemory(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.MEMORIES_DELETE, owner.into(new JsonObject())
        .put("memory_ids", new JsonArray().add(ctx.pathParam("memory_id"))), 204, DataRoutes::asIs);
  }

  private void deleteMemories(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    List<String> ids = stringList(body, "memory_ids", true);
    Owner owner = readOwner(ctx, optionalString(body, "user_id"));
    storage(ctx, StorageApi.MEMORIES_DELETE, owner.into(new JsonObject()).put("memory_ids", new JsonArray(ids)),
        204, DataRoutes::asIs);
  }

  private void memoryTopics(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.MEMORY_TOPICS, owner.into(new JsonObject()), 200, reply -> reply.getJsonArray("topics"));
  }

  private void memoryStats(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.MEMORY_STATS, owner.into(new JsonObject()).put("page", intParam(ctx, "page", 1, 1, Integer.MAX_VALUE))
        .put("limit", intParam(ctx, "limit", 20, 1, MAX_LIMIT)), 200, DataRoutes::asIs);
  }

  // ---- traces -----------------------------------------------------------------------------------------

  private JsonObject traceFilters(RoutingContext ctx, Owner owner) {
    JsonObject req = owner.into(new JsonObject()).put("run_id", query(ctx, "run_id")).put("session_id", query(ctx, "session_id"))
        .put("start_time", timeParam(ctx, "start_time")).put("end_time", timeParam(ctx, "end_time"))
        .put("page", intParam(ctx, "page", 1, 1, Integer.MAX_VALUE)).put("limit", intParam(ctx, "limit", 20, 1, MAX_LIMIT));
    String status = query(ctx, "status");
    if (status != null && !status.equals("OK") && !status.equals("ERROR")) {
      throw new ValidationFailure("query", "status", "Input should be 'OK' or 'ERROR'", "enum");
    }
    req.put("status", status);
    int components = 0;
    for (String family : List.of("agent", "team", "workflow")) {
      String id = query(ctx, family + "_id");
      if (id != null) {
        components++;
        req.put("component_type", family).put("component_id", id);
      }
    }
    if (components > 1) throw new ValidationFailure("query", "agent_id", "Give at most one of agent_id, team_id, workflow_id", "value_error");
    return req;
  }

  private void listTraces(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.TRACES_LIST, traceFilters(ctx, owner), 200, DataRoutes::asIs);
  }

  private void traceSessionStats(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.TRACES_SESSION_STATS, traceFilters(ctx, owner), 200, DataRoutes::asIs);
  }

  private void getTrace(RoutingContext ctx) {
    Owner owner = readOwner(ctx, query(ctx, "user_id"));
    storage(ctx, StorageApi.TRACES_GET, owner.into(new JsonObject()).put("trace_id", ctx.pathParam("trace_id"))
        .put("span_id", query(ctx, "span_id")), 200, DataRoutes::asIs);
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
    storage(ctx, StorageApi.TRACES_SEARCH, owner.into(new JsonObject()).put("filter", filter).put("group_by", groupBy)
        .put("page", page).put("limit", limit), 200, DataRoutes::asIs);
  }

  // ---- ownership --------------------------------------------------------------------------------------

  /**
   * docs/isolation.md: a scoped caller gets its own user id whatever it asked for;
   * an unscoped one (admin, isolation off, security key) gets what it asked for, or everyone.
   * With isolation on, a non-admin JWT without a user id is refused rather than shown everything.
   */
  private Owner readOwner(RoutingContext ctx, String requestedUserId) {
    Decision decision = RequestContext.decision(ctx);
    Principal principal = principal(ctx);
    if (decision.scopedUserId().isPresent()) return Owner.user(decision.scopedUserId().get());
    IsolationRule.requireUserId(config, decision, principal);
    return requestedUserId == null || requestedUserId.isEmpty() ? Owner.everyone() : Owner.user(requestedUserId);
  }

  private static Principal principal(RoutingContext ctx) {
    return RequestContext.principal(ctx);
  }

  // ---- storage over the event bus ---------------------------------------------------------------------

  private void storage(RoutingContext ctx, String action, JsonObject request, int status, Function<JsonObject, Object> shape) {
    storage.request(action, request).onComplete(ar -> {
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
  private static String timeParam(RoutingContext ctx, String name) {
    String raw = query(ctx, name);
    if (raw == null) return null;
    try {
      if (raw.matches("-?\\d{1,12}")) return Instant.ofEpochSecond(Long.parseLong(raw)).atOffset(ZoneOffset.UTC).toString();
      try {
        return OffsetDateTime.parse(raw).toString();
      } catch (DateTimeParseException e) {
        return java.time.LocalDateTime.parse(raw).atOffset(ZoneOffset.UTC).toString();
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
