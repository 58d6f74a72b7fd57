package dev.agentos.http.routes;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.Registry;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Document;
import dev.agentos.contract.Owner;
import dev.agentos.contract.Principal;
import dev.agentos.contract.RunCancel;
import dev.agentos.contract.RunEvent;
import dev.agentos.contract.RunRequest;
import dev.agentos.contract.RunResume;
import dev.agentos.contract.RuntimeApi;
import dev.agentos.contract.StorageApi;
import dev.agentos.contract.StorageRequest;
import dev.agentos.http.support.DetailedFailure;
import dev.agentos.http.support.InputRules;
import dev.agentos.http.support.IsolationRule;
import dev.agentos.http.support.JsonBodies;
import dev.agentos.http.support.RequestContext;
import dev.agentos.http.support.ValidationFailure;
import dev.agentos.http.support.VerticleFailures;
import dev.agentos.storage.StorageClient;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Agents, teams and workflows over HTTP with agno's shapes: listings filtered by the policy decision, runs
 * (form fields, streamed as SSE or returned as JSON), the runs of a session, {@code /config} and {@code /models}.
 */
public final class ComponentRoutes {
  private static final List<String> FAMILIES = List.of("agents", "teams", "workflows");
  private static final long RUN_TIMEOUT_MS = 15 * 60_000;

  private final Vertx vertx;
  private final AgentOsConfig config;
  private final Registry registry;
  private final StorageClient storage;

  /** Streamed runs open on this instance, and this instance's share of http.max_streams. */
  private int openStreams;
  private final int maxStreams;

  private final dev.agentos.policy.PolicyClient policy;

  public ComponentRoutes(Vertx vertx, AgentOsConfig config, StorageClient storage, dev.agentos.policy.PolicyClient policy) {
    this.policy = policy;
    this.maxStreams = config.http().perInstance(config.http().maxStreams());
    this.vertx = vertx;
    this.storage = storage;
    this.config = config;
    this.registry = config.registry();
  }

  public void mount(Router router) {
    router.get("/config").handler(this::config);
    router.get("/models").handler(this::models);
    router.get("/registry").handler(this::registry);
    for (String family : FAMILIES) {
      router.get("/" + family).handler(ctx -> list(ctx, family));
      router.get("/" + family + "/:id").handler(ctx -> get(ctx, family));
      router.post("/" + family + "/:id/runs").handler(ctx -> run(ctx, family));
      router.get("/" + family + "/:id/runs").handler(ctx -> runs(ctx, family));
      router.get("/" + family + "/:id/runs/:run_id").handler(ctx -> oneRun(ctx, family));
      router.post("/" + family + "/:id/runs/:run_id/cancel").handler(ctx -> cancel(ctx, family));
      router.post("/" + family + "/:id/runs/:run_id/continue").handler(ctx -> continueRun(ctx, family));
      router.post("/" + family + "/:id/runs/:run_id/resume").handler(ctx -> resume(ctx, family));
      if (!family.equals("workflows")) router.post("/" + family + "/:id/sessions/:session_id/fork").handler(ctx -> fork(ctx, family));
    }
  }

  // ---- read endpoints -----------------------------------------------------------------------------------

  /** agno: the list holds what the caller may see (the decision's accessible ids, less ids a role denies). */
  private void list(RoutingContext ctx, String family) {
    Decision d = RequestContext.decision(ctx);
    Set<String> visible = d.accessibleIds().orElse(Set.of("*"));
    StringBuilder key = new StringBuilder(family);
    for (String id : registry.order(family)) {
      if ((visible.contains("*") || visible.contains(id)) && !d.excludedIds().contains(id)) key.append('\n').append(id);
    }
    byte[] body = listings.get(key.toString(), k -> {
      JsonArray out = new JsonArray();
      String[] ids = k.split("\n");
      for (int i = 1; i < ids.length; i++) out.add(describe(family, ids[i]));
      return out.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    });
    ctx.response().setStatusCode(200).putHeader(io.vertx.core.http.HttpHeaders.CONTENT_TYPE, "application/json")
        .end(io.vertx.core.buffer.Buffer.buffer(body));
  }

  /**
   * Encoded listings by the ids they show: the registry is fixed at start-up, so a listing's bytes depend only on
   * which ids the decision lets through (bounded: at most this many distinct visible sets are kept).
   */
  private final com.github.benmanes.caffeine.cache.Cache<String, byte[]> listings =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(1_000).build();

  private void get(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    if (!exists(family, id)) throw new DetailedFailure(404, notFound(family));
    JsonBodies.respond(ctx, 200, describe(family, id));
  }

  private boolean exists(String family, String id) {
    return switch (family) {
      case "agents" -> registry.agents().containsKey(id);
      case "teams" -> registry.teams().containsKey(id);
      default -> registry.workflows().containsKey(id);
    };
  }

  private static String notFound(String family) {
    return switch (family) {
      case "agents" -> "Agent not found";
      case "teams" -> "Team not found";
      default -> "Workflow not found";
    };
  }

  private JsonObject describe(String family, String id) {
    switch (family) {
      case "agents": {
        Registry.Agent a = registry.agents().get(id);
        return new JsonObject().put("id", a.id()).put("name", a.name()).putNull("db_id").put("description", a.description())
            .putNull("role").put("is_factory", false).put("model", a.model().toJson()).put("tools", new JsonObject())
            .put("system_message", a.instructions() == null ? null : new JsonObject().put("instructions", a.instructions()))
            .put("streaming", new JsonObject().put("stream", true)).putNull("metadata").put("is_component", false);
      }
      case "teams": {
        Registry.Team t = registry.teams().get(id);
        JsonArray members = new JsonArray();
        for (String m : t.members()) members.add(describe("agents", m));
        return new JsonObject().put("id", t.id()).put("name", t.name()).putNull("db_id").put("description", t.description())
            .put("mode", t.mode()).put("model", t.model().toJson()).put("members", members).put("is_factory", false)
            .putNull("metadata").put("is_component", false);
      }
      default: {
        Registry.Workflow w = registry.workflows().get(id);
        JsonArray steps = new JsonArray();
        for (Registry.Step s : w.steps()) steps.add(new JsonObject().put("type", s.kind()).put(s.kind() + "_id", s.id()));
        return new JsonObject().put("id", w.id()).put("name", w.name()).putNull("db_id").put("description", w.description())
            .put("steps", steps).putNull("input_schema").putNull("metadata").put("is_factory", false).put("is_component", false);
      }
    }
  }

  /** agno: /config is not filtered by per-resource scopes. */
  private void config(RoutingContext ctx) {
    JsonArray agents = new JsonArray();
    for (Registry.Agent a : registry.agents().values()) {
      agents.add(new JsonObject().put("id", a.id()).put("name", a.name()).put("description", a.description()).putNull("db_id")
          .put("model", a.model().toJson()).putNull("metadata"));
    }
    JsonArray teams = new JsonArray();
    for (Registry.Team t : registry.teams().values()) {
      teams.add(new JsonObject().put("id", t.id()).put("name", t.name()).put("description", t.description()).putNull("db_id")
          .put("mode", t.mode()).put("model", t.model().toJson()));
    }
    JsonArray workflows = new JsonArray();
    for (Registry.Workflow w : registry.workflows().values()) {
      workflows.add(new JsonObject().put("id", w.id()).put("name", w.name()).put("description", w.description()).putNull("db_id")
          .put("is_factory", false).putNull("factory_input_schema").put("is_component", false).putNull("current_version")
          .putNull("stage"));
    }
    JsonBodies.respond(ctx, 200, new JsonObject().put("os_id", config.os().id().orElse("agno-agentos"))
        .put("name", config.os().name().orElse(null)).put("description", config.os().description().orElse(null))
        .put("available_models", models()).putNull("os_database").put("databases", new JsonArray())
        .put("agents", agents).put("teams", teams).put("workflows", workflows).put("interfaces", new JsonArray()));
  }

  private void models(RoutingContext ctx) {
    JsonBodies.respondArray(ctx, 200, models());
  }

  /** Unique models of the agents and teams, as agno's {@code [{id, provider}]}. */
  private JsonArray models() {
    Set<String> seen = new LinkedHashSet<>();
    JsonArray out = new JsonArray();
    List<Registry.Model> all = new java.util.ArrayList<>();
    registry.agents().values().forEach(a -> all.add(a.model()));
    registry.teams().values().forEach(t -> all.add(t.model()));
    for (Registry.Model m : all) {
      if (seen.add(m.provider() + "/" + m.id())) out.add(new JsonObject().put("id", m.id()).put("provider", m.provider()));
    }
    return out;
  }

  /** agno's registry kinds ({@code RegistryContentType}); this service's registry holds models only. */
  private static final List<String> REGISTRY_TYPES = List.of("tool", "model", "db", "vector_db", "schema", "function");

  /**
   * agno's {@code GET /registry}: the registry's components, sorted by (type, name), filtered by {@code component_type}
   * and a case-insensitive part of the name, one page of {@code limit} (at most 100). The models of the configured
   * agents and teams are this service's components; it registers no tools, databases, vector databases, schemas or
   * functions, so those types answer an empty page.
   */
  private void registry(RoutingContext ctx) {
    long started = System.nanoTime();
    List<String> types = ctx.queryParam("component_type");
    if (types.size() > 1) throw new ValidationFailure("query", "component_type", "Give this parameter once", "value_error");
    String type = types.isEmpty() ? null : types.get(0);
    if (type != null && !REGISTRY_TYPES.contains(type)) {
      throw new ValidationFailure("query", "component_type", "Input should be 'tool', 'model', 'db', 'vector_db', 'schema' or 'function'",
          "literal_error");
    }
    List<String> names = ctx.queryParam("name");
    if (names.size() > 1) throw new ValidationFailure("query", "name", "Give this parameter once", "value_error");
    String needle = names.isEmpty() ? null : names.get(0).strip().toLowerCase(java.util.Locale.ROOT);
    int page = pageParam(ctx, "page", 1, Integer.MAX_VALUE);
    int limit = pageParam(ctx, "limit", 20, 100);
    List<JsonObject> components = new java.util.ArrayList<>();
    if (type == null || type.equals("model")) {
      for (Object o : models()) {
        JsonObject m = (JsonObject) o;
        components.add(new JsonObject().put("name", m.getString("id")).put("type", "model")
            .put("metadata", new JsonObject().put("provider", m.getString("provider")).put("model_id", m.getString("id"))));
      }
    }
    components.sort(java.util.Comparator.comparing((JsonObject c) -> c.getString("type")).thenComparing(c -> c.getString("name")));
    if (needle != null && !needle.isEmpty()) {
      components.removeIf(c -> !c.getString("name").toLowerCase(java.util.Locale.ROOT).contains(needle));
    }
    int total = components.size();
    long from = Math.min((long) (page - 1) * limit, total);
    JsonArray data = new JsonArray(new java.util.ArrayList<>(components.subList((int) from, (int) Math.min(from + limit, total))));
    JsonObject meta = new JsonObject().put("page", page).put("limit", limit).put("total_pages", (total + limit - 1) / limit)
        .put("total_count", total).put("search_time_ms", Math.round((System.nanoTime() - started) / 10_000.0) / 100.0);
    JsonBodies.respond(ctx, 200, new JsonObject().put("data", data).put("meta", meta));
  }

  // ---- runs -----------------------------------------------------------------------------------------------

  /** agno's form fields (multipart or urlencoded). User and session per docs/authorization.md. */
  /** agno's run route: validate the form, build the runtime request, then answer at once or as a stream. */
  private void run(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    if (!exists(family, id)) throw new DetailedFailure(404, notFound(family));
    MultiMap form = ctx.request().formAttributes();
    String message = form.get("message");
    if (message == null || message.isEmpty()) throw new ValidationFailure("body", "message", "Field required", "missing");
    boolean stream = bool(form.get("stream"), true); // validated before the owner, as agno's form model does
    RunRequest request = runRequest(ctx, family, id, form, message);
    membersRunnable(ctx, family, id).onComplete(ar -> dispatch(ctx, ar, request, stream));
  }

  /** The run, once its members may run: streamed or answered when done; a refusal (429 streams) fails the request. */
  private void dispatch(RoutingContext ctx, io.vertx.core.AsyncResult<Void> allowed, RunRequest request, boolean stream) {
    try {
      if (allowed.failed()) ctx.fail(allowed.cause());
      else if (stream) stream(ctx, request, runDelivery());
      else respondWhenDone(ctx, request, runDelivery());
    } catch (DetailedFailure refused) {
      ctx.fail(refused);
    }
  }

  /**
   * {@code authorization.team_member_runs: strict}: a team runs its member agents, a workflow its steps (and a step
   * team's members), each for the caller; so the caller, every actor of a delegated token included, must be able to run
   * each of them, not only the team (agno #10054: members run in the leader's name). With {@code team} (agno) the team's
   * or workflow's run scope suffices.
   */
  private Future<Void> membersRunnable(RoutingContext ctx, String family, String id) {
    if (!config.authorization().strictTeamMembers() || family.equals("agents")) return Future.succeededFuture();
    Principal caller = RequestContext.principal(ctx);
    // the unscoped roots (the security key, an open instance) and authentication-only mode decide nothing per resource
    if (caller.kind() == Principal.Kind.SECURITY_KEY || caller.kind() == Principal.Kind.ANONYMOUS || !config.authorization().enabled()) {
      return Future.succeededFuture();
    }
    List<String[]> parts = new java.util.ArrayList<>();
    if (family.equals("teams")) {
      for (String member : registry.teams().get(id).members()) parts.add(new String[] {"agents", member});
    } else {
      for (Registry.Step step : registry.workflows().get(id).steps()) {
        if (step.kind().equals("agent")) {
          parts.add(new String[] {"agents", step.id()});
        } else {
          parts.add(new String[] {"teams", step.id()});
          for (String member : registry.teams().get(step.id()).members()) parts.add(new String[] {"agents", member});
        }
      }
    }
    List<Future<Boolean>> checks = new java.util.ArrayList<>();
    for (String[] part : parts) checks.add(policy.check(caller, part[0] + ":run", part[1]));
    return Future.all(checks).transform(all -> {
      if (all.failed()) return Future.failedFuture(new DetailedFailure(503, "Authorization service unavailable"));
      for (int i = 0; i < parts.size(); i++) {
        if (!checks.get(i).result()) {
          String kind = parts.get(i)[0].equals("agents") ? "agent" : "team";
          return Future.failedFuture(new DetailedFailure(403, "Running " + family.substring(0, family.length() - 1) + " '" + id
              + "' needs run access to its " + kind + " '" + parts.get(i)[1] + "'"));
        }
      }
      return Future.succeededFuture();
    });
  }

  /**
   * The runtime request: the owner from the decision (or, with isolation off, the token's or the form's user),
   * the session from the token's claim or the form (or a new one), and the claims the config copies into runs,
   * which win over the form's fields of the same name.
   */
  private RunRequest runRequest(RoutingContext ctx, String family, String id, MultiMap form, String message) {
    Principal principal = RequestContext.principal(ctx);
    Decision decision = RequestContext.decision(ctx);
    IsolationRule.requireUserId(config.authorization(), decision, principal);
    String userId = decision.scopedUserId().or(principal::userId).orElse(emptyToNull(form.get("user_id")));
    String sessionId = principal.sessionId().map(claim -> InputRules.id("token", "session_id", claim))
        .orElse(emptyToNull(form.get("session_id")));
    if (sessionId == null) sessionId = UUID.randomUUID().toString();
    Object[] extras = extras(principal, form);
    String tenant = decision.tenantId();
    return new RunRequest(family, id, userId == null ? Owner.everyoneIn(tenant) : Owner.of(tenant, userId), sessionId, message, null,
        extras[0], extras[1], extras[2], principal.actors());
  }

  /**
   * {@code session_state}, {@code dependencies} and {@code metadata}: the token's claims of those names when the
   * configuration copies them, else the form's; the form's field is validated even when a claim wins over it.
   */
  private static Object[] extras(Principal principal, MultiMap form) {
    Object[] extras = new Object[3];
    List<String> fields = List.of("session_state", "dependencies", "metadata");
    for (int i = 0; i < extras.length; i++) {
      JsonObject parsed = jsonField(form, fields.get(i));
      Object claimed = principal.claims().getValue(fields.get(i));
      extras[i] = claimed != null ? claimed : parsed;
    }
    return extras;
  }

  /** The runtime's delivery of a run: its action, and a bound on how long the whole run may take. */
  private static DeliveryOptions runDelivery() {
    return new DeliveryOptions().setSendTimeout(RUN_TIMEOUT_MS).addHeader(RuntimeApi.ACTION_HEADER, RuntimeApi.RUN);
  }

  // ---- continue, resume, fork (agno's routes over a stored or running run, and a session) ----------------

  /**
   * The caller's stored run of this component, with the session that holds it: 404 "Run not found" when no session of
   * theirs holds it, when it is another component's, or when {@code sessionHint} (the form's or the token's session)
   * names another session. Isolation as on every run route: a scoped caller sees only their own runs.
   */
  private Future<JsonObject> storedRun(Owner owner, String family, String id, String runId, String sessionHint) {
    String type = family.substring(0, family.length() - 1);
    return storage.request(new StorageRequest.RunsLocate(owner, runId)).compose(located -> {
      String sessionId = located.getString("session_id");
      if (sessionId == null || (sessionHint != null && !sessionHint.equals(sessionId))) {
        return Future.failedFuture(new DetailedFailure(404, "Run not found"));
      }
      return storage.request(new StorageRequest.SessionRun(owner, sessionId, runId));
    }).compose(run -> id.equals(run.getString(type + "_id")) ? Future.succeededFuture(run)
        : Future.failedFuture(new DetailedFailure(404, "Run not found")));
  }

  /** A run's owner as stored: an unscoped caller (an admin) acts on the run's user's session, as that user's run. */
  private static Owner ownerOfRun(Decision decision, JsonObject run) {
    if (decision.scopedUserId().isPresent()) return decision.owner();
    String user = run.getString("user_id");
    return user == null ? Owner.everyoneIn(decision.tenantId()) : Owner.of(decision.tenantId(), user);
  }

  /**
   * agno's {@code POST …/runs/{run_id}/continue}: a new run in the session of the caller's run {@code run_id}, with the
   * form's {@code input} (agno 3's field; {@code message} is accepted too), the session's history before it, and
   * {@code metadata.continued_from_run_id} naming the run. agno's other use, resuming a run paused for tool results
   * ({@code tools}), needs a run that waits for tools; this runtime's runs never pause (no human-in-the-loop tools), so
   * {@code tools} alone is refused with 409 and says why. Streamed or not, as a run.
   */
  private void continueRun(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    String runId = InputRules.id("path", "run_id", ctx.pathParam("run_id"));
    if (!exists(family, id)) throw new DetailedFailure(404, notFound(family));
    MultiMap form = ctx.request().formAttributes();
    String input = emptyToNull(form.get("input"));
    if (input == null) input = emptyToNull(form.get("message"));
    String tools = emptyToNull(form.get("tools"));
    if (tools != null) {
      try {
        if (!(io.vertx.core.json.Json.decodeValue(tools) instanceof JsonArray)) throw new DecodeException("not a list");
      } catch (DecodeException e) {
        throw new DetailedFailure(400, "Invalid JSON in tools field");
      }
    }
    if (input == null && tools == null) throw new ValidationFailure("body", "input", "Field required", "missing");
    boolean stream = bool(form.get("stream"), true);
    Decision decision = RequestContext.decision(ctx);
    Principal principal = RequestContext.principal(ctx);
    IsolationRule.requireUserId(config.authorization(), decision, principal);
    String sessionHint = principal.sessionId().orElse(emptyToNull(form.get("session_id")));
    Object[] extras = extras(principal, form);
    String message = input;
    storedRun(decision.owner(), family, id, runId, sessionHint).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause() instanceof DetailedFailure d ? d : VerticleFailures.storage(ar.cause(), "Run not found"));
        return;
      }
      JsonObject run = ar.result();
      if (message == null) {
        ctx.fail(new DetailedFailure(409, "Run " + runId + " is not paused (" + run.getString("status")
            + "): only a run waiting for tool results can be continued with tools"));
        return;
      }
      JsonObject metadata = extras[2] instanceof JsonObject m ? m.copy() : new JsonObject();
      metadata.put("continued_from_run_id", runId);
      RunRequest request = new RunRequest(family, id, ownerOfRun(decision, run), run.getString("session_id"), message, null,
          extras[0], extras[1], metadata, principal.actors());
      membersRunnable(ctx, family, id).onComplete(allowed -> dispatch(ctx, allowed, request, stream));
    });
  }

  /**
   * agno's {@code POST …/runs/{run_id}/resume} (SSE): the run's events after {@code last_event_index} (0-based; absent:
   * all), then, while it runs, its live events until the terminal one. A run in flight is asked of the runtime verticle
   * running it; one that is not is read from storage and its stored events replayed. Under isolation a non-admin names
   * the session (400 without it), and only their own run of this component is found: anyone else's is 404.
   */
  private void resume(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    String runId = InputRules.id("path", "run_id", ctx.pathParam("run_id"));
    if (!exists(family, id)) throw new DetailedFailure(404, notFound(family));
    MultiMap form = ctx.request().formAttributes();
    int lastEventIndex = lastEventIndex(form.get("last_event_index"));
    Decision decision = RequestContext.decision(ctx);
    Principal principal = RequestContext.principal(ctx);
    IsolationRule.requireUserId(config.authorization(), decision, principal);
    String sessionId = principal.sessionId().orElse(emptyToNull(form.get("session_id")));
    if (decision.scopedUserId().isPresent() && sessionId == null) throw new DetailedFailure(400, "session_id is required for this action");
    var events = openEventsConsumer(ctx);
    String address = events.address();
    HttpServerResponse response = ctx.response();
    RunResume ask = new RunResume(runId, family, id, decision.owner(), sessionId, lastEventIndex, address);
    events.completion().compose(v -> vertx.eventBus().<Object>request(RuntimeApi.runAddress(runId), ask,
            new DeliveryOptions().setSendTimeout(config.authorization().policyTimeoutMs())))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            JsonObject reply = ar.result().body() instanceof Document d ? d.json() : (JsonObject) ar.result().body();
            if (reply.getBoolean("ended", false) && reply.getInteger("sent", 0) == 0) {
              // nothing after the client's last event, and the run is over
              events.unregister();
              openEventStream(response);
              if (!response.ended()) response.end();
            }
            return;
          }
          events.unregister();
          if (ar.cause() instanceof io.vertx.core.eventbus.ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
            replayStored(ctx, decision.owner(), family, id, runId, sessionId, lastEventIndex);
          } else {
            ctx.fail(VerticleFailures.runtime(ar.cause()));
          }
        });
  }

  /** A run no runtime verticle runs: its stored events after {@code lastEventIndex}, as one finished stream. */
  private void replayStored(RoutingContext ctx, Owner owner, String family, String id, String runId, String sessionId, int lastEventIndex) {
    storedRun(owner, family, id, runId, sessionId).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause() instanceof DetailedFailure d ? d : VerticleFailures.storage(ar.cause(), "Run not found"));
        return;
      }
      JsonArray stored = ar.result().getJsonArray("events", new JsonArray());
      HttpServerResponse response = ctx.response();
      openEventStream(response);
      for (int i = Math.max(0, lastEventIndex + 1); i < stored.size(); i++) {
        JsonObject event = stored.getJsonObject(i);
        response.write("event: " + event.getString("event") + "\ndata: " + event.encode() + "\n\n");
      }
      response.end();
    });
  }

  /** agno's {@code last_event_index}: the 0-based index of the last event the client has; absent, all are sent. */
  private static int lastEventIndex(String raw) {
    if (raw == null || raw.isBlank()) return -1;
    try {
      int v = Integer.parseInt(raw.strip());
      if (v < -1) throw new ValidationFailure("body", "last_event_index", "Input should be greater than or equal to -1", "greater_than_equal");
      return v;
    } catch (NumberFormatException e) {
      throw new ValidationFailure("body", "last_event_index", "Input should be a valid integer", "int_parsing");
    }
  }

  /**
   * agno's {@code POST /{agents|teams}/{id}/sessions/{session_id}/fork}: a copy of the caller's session of this component
   * under a new id, every run copied with a new id; {@code {session_id, forked_from_session_id}} (201). Another user's
   * session, or another component's, is 404, and nothing is written.
   */
  private void fork(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    String sessionId = InputRules.id("path", "session_id", ctx.pathParam("session_id"));
    if (!exists(family, id)) throw new DetailedFailure(404, notFound(family));
    Decision decision = RequestContext.decision(ctx);
    Principal principal = RequestContext.principal(ctx);
    IsolationRule.requireUserId(config.authorization(), decision, principal);
    String type = family.substring(0, family.length() - 1);
    // an unscoped caller forks the session for its user: the copy is that user's, as the session is
    Future<Owner> owner = decision.scopedUserId().isPresent() ? Future.succeededFuture(decision.owner())
        : storage.request(new StorageRequest.SessionsGet(decision.owner(), sessionId, type, 1, 0)).map(session -> {
          String user = session.getString("user_id");
          return user == null ? Owner.everyoneIn(decision.tenantId()) : Owner.of(decision.tenantId(), user);
        });
    owner.compose(o -> storage.request(new StorageRequest.SessionsFork(o, sessionId, type, id, UUID.randomUUID().toString())))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(VerticleFailures.storage(ar.cause(), "Session not found"));
            return;
          }
          JsonBodies.respond(ctx, 201, ar.result());
        });
  }

  /** {@code stream=false}: one JSON answer once the run and its trace are stored. */
  private void respondWhenDone(RoutingContext ctx, RunRequest request, DeliveryOptions options) {
    vertx.eventBus().<Document>request(RuntimeApi.ADDRESS, request, options).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(VerticleFailures.runtime(ar.cause()));
        return;
      }
      JsonObject run = ar.result().body().json().getJsonObject("run");
      run.remove("events");
      JsonBodies.respond(ctx, 200, run);
    });
  }

  /**
   * One of this instance's bounded stream slots (429 past {@code http.max_streams}), released when the response ends or
   * the client goes away, and the address the runtime sends the stream's events to; each is written as an SSE frame.
   */
  private io.vertx.core.eventbus.MessageConsumer<RunEvent> openEventsConsumer(RoutingContext ctx) {
    if (openStreams >= maxStreams) throw new DetailedFailure(429, "Too many concurrent streams");
    openStreams++;
    boolean[] released = {false};
    // addEndHandler (not response.endHandler): it also runs when the client goes away, and does not replace
    // the access log's own end handler
    ctx.addEndHandler(ar -> {
      if (!released[0]) {
        released[0] = true;
        openStreams--;
      }
    });
    HttpServerResponse response = ctx.response();
    var events = vertx.eventBus().<RunEvent>consumer(RuntimeApi.ADDRESS + ".events." + UUID.randomUUID());
    events.handler(m -> writeEvent(response, m.body(), events));
    return events;
  }

  /** Streaming: the runtime sends each event to an address of ours as it happens; we only write frames. */
  private void stream(RoutingContext ctx, RunRequest request, DeliveryOptions options) {
    var events = openEventsConsumer(ctx);
    HttpServerResponse response = ctx.response();
    RunRequest streamed = request.streamedTo(events.address());
    events.completion().compose(v -> vertx.eventBus().<Document>request(RuntimeApi.ADDRESS, streamed, options))
        .onComplete(ar -> {
          if (ar.succeeded() || response.ended()) {
            // the terminal event ends the stream; a failure after it changes nothing
            return;
          }
          events.unregister();
          if (!response.headWritten()) {
            ctx.fail(VerticleFailures.runtime(ar.cause()));
            return;
          }
          // the stream has started but the runtime failed without its terminal event (its node died, or the
          // run timed out): end the stream with an error event instead of leaving it open
          DetailedFailure failure = VerticleFailures.runtime(ar.cause());
          JsonObject error = new JsonObject().put("event", "RunError").put("content", failure.getMessage());
          response.end("event: RunError\ndata: " + error.encode() + "\n\n");
        });
  }

  private static void openEventStream(HttpServerResponse response) {
    if (!response.headWritten()) {
      response.setStatusCode(200).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
          .setChunked(true);
    }
  }

  /** One SSE frame; the event marked final ends the stream. */
  private static void writeEvent(HttpServerResponse response, RunEvent runEvent,
                                 io.vertx.core.eventbus.MessageConsumer<RunEvent> events) {
    JsonObject event = runEvent.event();
    boolean last = runEvent.last();
    openEventStream(response);
    if (!response.ended()) response.write("event: " + event.getString("event") + "\ndata: " + event.encode() + "\n\n");
    if (last) {
      events.unregister();
      if (!response.ended()) response.end();
    }
  }



  /**
   * agno: 200 {} (the intent is recorded); the run stops if it is in flight. Under isolation a non-admin must name
   * the session (400 without it), which must be its own and this component's (404 otherwise).
   */
  private void cancel(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    String runId = ctx.pathParam("run_id");
    if (!exists(family, id)) throw new DetailedFailure(404, notFound(family));
    Decision decision = RequestContext.decision(ctx);
    Principal principal = RequestContext.principal(ctx);
    IsolationRule.requireUserId(config.authorization(), decision, principal);
    String sessionId = ctx.queryParams().get("session_id");
    RunCancel notice = new RunCancel(runId, family, id, decision.owner(), sessionId);
    if (decision.scopedUserId().isEmpty()) {
      vertx.eventBus().publish(RuntimeApi.CANCEL, notice);
      JsonBodies.respond(ctx, 200, new JsonObject());
      return;
    }
    if (sessionId == null || sessionId.isEmpty()) throw new DetailedFailure(400, "session_id is required for this action");
    String type = family.substring(0, family.length() - 1);
    Owner owner = decision.owner();
    storage.request(new StorageRequest.SessionsGet(owner, sessionId, type, 1, 0)).onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(VerticleFailures.storage(ar.cause(), "Run not found"));
            return;
          }
          if (!id.equals(ar.result().getString(type + "_id"))) {
            ctx.fail(new DetailedFailure(404, "Run not found"));
            return;
          }
          // agno (verify_run_in_session): the run must be this session's. A stored run of another of the caller's
          // sessions is 404; a run stored nowhere yet is in flight (or unknown), and the runtime cancels an in-flight
          // run only when its owner, session and component match
          storage.request(new StorageRequest.RunsLocate(owner, runId))
              .onComplete(located -> {
                if (located.failed()) {
                  ctx.fail(VerticleFailures.storage(located.cause()));
                } else if (located.result().containsKey("session_id") && !sessionId.equals(located.result().getString("session_id"))) {
                  ctx.fail(new DetailedFailure(404, "Run not found"));
                } else {
                  vertx.eventBus().publish(RuntimeApi.CANCEL, notice);
                  JsonBodies.respond(ctx, 200, new JsonObject());
                }
              });
        });
  }

  /**
   * agno: the runs of a session of this component; session_id is required; another owner's or component's is 404.
   * A page at a time (agno's {@code page} and {@code limit}; at most and by default {@link DataRoutes#RUN_PAGE} runs).
   */
  private void runs(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    String sessionId = requiredSessionId(ctx);
    int page = pageParam(ctx, "page", 1, Integer.MAX_VALUE);
    int limit = pageParam(ctx, "limit", DataRoutes.RUN_PAGE, DataRoutes.RUN_PAGE);
    // a session's runs are all its component's (runs.record writes a run only into a session of its component), so
    // the page PostgreSQL wrote is passed through as text
    componentSession(ctx, family, id, sessionId)
        .compose(owner -> storage.requestText(new StorageRequest.SessionRuns(owner, sessionId, null, null, page, limit)))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(VerticleFailures.storage(ar.cause(), "Session not found"));
            return;
          }
          JsonBodies.respondText(ctx, 200, ar.result());
        });
  }

  private void oneRun(RoutingContext ctx, String family) {
    String id = ctx.pathParam("id");
    String runId = ctx.pathParam("run_id");
    String sessionId = requiredSessionId(ctx);
    String type = family.substring(0, family.length() - 1);
    componentSession(ctx, family, id, sessionId).onComplete(session -> {
      if (session.failed()) {
        ctx.fail(VerticleFailures.storage(session.cause(), "Session not found"));
        return;
      }
      storage.request(new StorageRequest.SessionRun(session.result(), sessionId, runId)).onComplete(ar -> {
        if (ar.succeeded() && id.equals(ar.result().getString(type + "_id"))) {
          JsonBodies.respond(ctx, 200, ar.result());
        } else if (ar.succeeded() || StorageClient.code(ar.cause()) == StorageApi.NOT_FOUND) {
          ctx.fail(new DetailedFailure(404, "Run not found"));
        } else {
          ctx.fail(VerticleFailures.storage(ar.cause()));
        }
      });
    });
  }

  private static String requiredSessionId(RoutingContext ctx) {
    String sessionId = ctx.queryParams().get("session_id");
    if (sessionId == null || sessionId.isEmpty()) throw new ValidationFailure("query", "session_id", "Field required", "missing");
    return sessionId;
  }

  private static int pageParam(RoutingContext ctx, String name, int absent, int max) {
    List<String> values = ctx.queryParam(name);
    if (values.isEmpty()) return absent;
    if (values.size() > 1) throw new ValidationFailure("query", name, "Give this parameter once", "value_error");
    try {
      int v = Integer.parseInt(values.get(0).strip());
      if (v < 1 || v > max) throw new ValidationFailure("query", name, "Input should be between 1 and " + max, "value_error");
      return v;
    } catch (NumberFormatException e) {
      throw new ValidationFailure("query", name, "Input should be a valid integer", "int_parsing");
    }
  }

  /**
   * The owner whose session of this component {@code sessionId} is (agno's assert_session_matches_component: another
   * owner's or component's session is "Session not found"). The session's runs are not read.
   */
  private Future<Owner> componentSession(RoutingContext ctx, String family, String id, String sessionId) {
    if (!exists(family, id)) throw new DetailedFailure(404, notFound(family));
    Decision decision = RequestContext.decision(ctx);
    Principal principal = RequestContext.principal(ctx);
    IsolationRule.requireUserId(config.authorization(), decision, principal);
    Owner owner = decision.owner();
    String type = family.substring(0, family.length() - 1);
    return storage.request(new StorageRequest.SessionsGet(owner, sessionId, type, 1, 0))
        .compose(session -> id.equals(session.getString(type + "_id")) ? Future.succeededFuture(owner)
            : Future.failedFuture(new dev.agentos.storage.StorageFailure(StorageApi.NOT_FOUND, "Session not found")));
  }

  private static boolean bool(String raw, boolean def) {
    if (raw == null || raw.isEmpty()) return def;
    return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new ValidationFailure("body", "stream", "Input should be a valid boolean", "bool_parsing");
    };
  }

  private static JsonObject jsonField(MultiMap form, String field) {
    String raw = form.get(field);
    if (raw == null || raw.isBlank()) return null;
    try {
      if (io.vertx.core.json.Json.decodeValue(raw) instanceof JsonObject o) return o;
    } catch (DecodeException e) {
      throw new ValidationFailure("body", field, "Invalid JSON", "json_invalid");
    }
    throw new ValidationFailure("body", field, "Input should be a JSON object", "dict_type");
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
