package dev.agentos.runtime;

import dev.agentos.contract.RuntimeApi;
import dev.agentos.config.Registry;
import dev.agentos.runtime.impl.EchoModel;
import dev.agentos.runtime.impl.ModelCall;
import dev.agentos.runtime.impl.OpenAiModel;
import dev.agentos.contract.ContractCodec;
import dev.agentos.contract.Document;
import dev.agentos.contract.RunCancel;
import dev.agentos.contract.RunEvent;
import dev.agentos.contract.RunRequest;
import dev.agentos.contract.RunResume;
import dev.agentos.contract.StorageApi;
import dev.agentos.contract.StorageRequest;
import dev.agentos.storage.StorageClient;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Executes runs of agents, teams and workflows and records each run, its session and its trace through the
 * storage verticle. Model calls are asynchronous (never blocking an event loop); events go to the caller's
 * events address as they happen, so the HTTP verticle only streams. Teams: {@code coordinate} asks every
 * member and lets the team model combine their answers; {@code route} lets the team model pick one member
 * (echo picks the first). Workflows run their steps in order, each step's output feeding the next. A cancel
 * notice stops an in-flight run (its upstream request is reset) and the run is stored as cancelled.
 */
public final class RuntimeVerticle extends VerticleBase {
  private final Registry registry;
  private final int storageTimeoutMs;
  private final Map<String, InFlight> inFlight = new HashMap<>();
  private MessageConsumer<Object> consumer;
  private MessageConsumer<Object> cancels;
  private HttpClient http;
  private StorageClient storage;

  private record InFlight(dev.agentos.contract.Owner owner, String sessionId, String family, String id, ModelCall.Cancellation cancellation) {}

  /**
   * A run that can be resumed: from its start until it is stored. {@code followers} are the events addresses of resumed
   * streams, sent every event after their replay; {@code resumes} is the run's own address ({@link RuntimeApi#runAddress}).
   */
  private record Resumable(Run run, List<String> followers, MessageConsumer<Object> resumes) {}

  private final Map<String, Resumable> resumable = new HashMap<>();

  /** One model call, recorded as a span. */
  private record Call(String spanName, String kind, String input, String output) {}

  public RuntimeVerticle(Registry registry, int storageTimeoutMs) {
    this.storageTimeoutMs = storageTimeoutMs;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    dev.agentos.contract.Contract.registerCodecs(vertx);
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
    storage = new StorageClient(vertx, storageTimeoutMs);
    consumer = vertx.eventBus().consumer(RuntimeApi.ADDRESS, this::handle);
    cancels = vertx.eventBus().consumer(RuntimeApi.CANCEL, this::cancel);
    return consumer.completion().compose(v -> cancels.completion());
  }

  private void cancel(Message<Object> msg) {
    RunCancel c;
    try {
      c = msg.body() instanceof RunCancel typed ? typed : RunCancel.fromJson((JsonObject) msg.body());
    } catch (IllegalArgumentException | ClassCastException malformed) {
      return; // a notice that says nothing stops nothing
    }
    InFlight run = c.runId() == null || c.owner() == null ? null : inFlight.get(c.runId());
    if (run == null) return;
    // A scoped caller may only cancel its own run, in the session and component it names; an unscoped one (an admin)
    // any run of its tenant; nobody a run of another tenant.
    boolean matches = run.family.equals(c.family()) && run.id.equals(c.id())
        && run.owner.tenantId().equals(c.owner().tenantId())
        && (c.owner().isEveryone() || (Objects.equals(run.owner, c.owner()) && run.sessionId.equals(c.sessionId())));
    if (matches) run.cancellation.cancel();
  }

  private void handle(Message<Object> msg) {
    if (!RuntimeApi.RUN.equals(msg.headers().get(RuntimeApi.ACTION_HEADER))) {
      msg.fail(RuntimeApi.UNKNOWN_ACTION, "unknown runtime action");
      return;
    }
    RunRequest req;
    try {
      req = msg.body() instanceof RunRequest typed ? typed : RunRequest.fromJson((JsonObject) msg.body());
    } catch (ContractCodec.ContractMismatch e) {
      msg.fail(RuntimeApi.BAD_REQUEST, e.getMessage());
      return;
    } catch (IllegalArgumentException | ClassCastException e) {
      msg.fail(RuntimeApi.BAD_REQUEST, "malformed run request");
      return;
    }
    if (!req.complete()) {
      msg.fail(RuntimeApi.BAD_REQUEST, "malformed run request");
      return;
    }
    String family = req.family();
    String id = req.id();
    String message = req.message();
    String sessionId = req.sessionId();
    String type = componentType(family, id);
    if (type == null) {
      msg.fail(RuntimeApi.NOT_FOUND, family.equals("teams") ? "Team not found" : family.equals("workflows") ? "Workflow not found"
          : "Agent not found");
      return;
    }
    dev.agentos.contract.Owner owner = req.owner();
    Run run = new Run(req, family, type, id, owner, sessionId, message, UUID.randomUUID().toString(),
        req.eventsAddress(), Instant.now(), new ModelCall.Cancellation(), new JsonArray(), new StringBuilder(),
        new ArrayList<>());
    // one statement: the session (created when new) and agno's history window, never the whole session
    storage.request(new StorageRequest.SessionsEnsure(req.owner(), sessionId, type, id, historyRuns(family, id)))
        .onComplete(history -> {
          if (history.failed()) {
            boolean notFound = StorageClient.code(history.cause()) == StorageApi.NOT_FOUND;
            msg.fail(notFound ? RuntimeApi.NOT_FOUND : RuntimeApi.UNAVAILABLE, notFound ? "Session not found" : "Database unavailable");
            return;
          }
          start(msg, run, history.result().getJsonArray("history"));
        });
  }

  /** One run in progress: what its request said, and what it has produced so far. */
  private record Run(RunRequest request, String family, String type, String id, dev.agentos.contract.Owner owner, String sessionId, String message,
                     String runId, String events, Instant start, ModelCall.Cancellation cancellation, JsonArray eventLog,
                     StringBuilder streamed, List<Call> calls) {}

  /** How many earlier completed runs the model sees (agno's {@code num_history_runs}); a workflow's steps see none. */
  private int historyRuns(String family, String id) {
    return switch (family) {
      case "agents" -> registry.agents().get(id).numHistoryRuns();
      case "teams" -> registry.teams().get(id).numHistoryRuns();
      default -> 0;
    };
  }

  /** {@code agent}, {@code team} or {@code workflow} when the registry has the component, else null. */
  private String componentType(String family, String id) {
    return switch (family) {
      case "agents" -> registry.agents().containsKey(id) ? "agent" : null;
      case "teams" -> registry.teams().containsKey(id) ? "team" : null;
      case "workflows" -> registry.workflows().containsKey(id) ? "workflow" : null;
      default -> null;
    };
  }

  /** The session is the caller's: announce the run, call the model(s), streaming each delta, then finish. */
  private void start(Message<Object> msg, Run run, JsonArray history) {
    inFlight.put(run.runId(), new InFlight(run.owner(), run.sessionId(), run.family(), run.id(), run.cancellation()));
    List<String> followers = new ArrayList<>();
    resumable.put(run.runId(), new Resumable(run, followers,
        vertx.eventBus().consumer(RuntimeApi.runAddress(run.runId()), m -> resume(m, run, followers))));
    emit(run, new JsonObject().put("event", "RunStarted").put("run_id", run.runId())
        .put("session_id", run.sessionId()).put(run.type() + "_id", run.id()).put("created_at", run.start().getEpochSecond()));
    JsonArray messages = conversation(history, run.message());
    java.util.function.Consumer<String> onDelta = piece -> {
      run.streamed().append(piece);
      emit(run, new JsonObject().put("event", "RunContent").put("run_id", run.runId()).put("content", piece));
    };
    execute(run.family(), run.id(), messages, run.message(), run.calls(), onDelta, run.cancellation())
        .onComplete(done -> finish(msg, run, done));
  }

  /**
   * The run is over (completed, cancelled or failed): store it with its trace, send the terminal event, then answer;
   * nothing is acknowledged before it is stored.
   */
  private void finish(Message<Object> msg, Run run, io.vertx.core.AsyncResult<String> done) {
    inFlight.remove(run.runId());
    String status;
    String content;
    JsonObject terminal;
    if (done.succeeded()) {
      status = "COMPLETED";
      content = done.result();
      terminal = new JsonObject().put("event", "RunCompleted").put("run_id", run.runId()).put("content", content);
    } else if (run.cancellation().cancelled()) {
      status = "CANCELLED";
      content = run.streamed().toString();
      terminal = new JsonObject().put("event", "RunCancelled").put("run_id", run.runId());
    } else {
      status = "ERROR";
      content = run.streamed().toString();
      terminal = new JsonObject().put("event", "RunError").put("run_id", run.runId()).put("content", done.cause().getMessage());
    }
    run.eventLog().add(terminal);
    record(run.request(), run.type(), run.id(), run.runId(), run.sessionId(), run.message(), content, status, run.eventLog(),
        run.calls(), run.start()).onComplete(stored -> {
          if (run.events() != null) vertx.eventBus().send(run.events(), new RunEvent(terminal, true));
          // stored (or given up): resumed streams get the terminal event, and a later resume reads the stored run
          Resumable r = resumable.remove(run.runId());
          if (r != null) {
            for (String follower : r.followers()) vertx.eventBus().send(follower, new RunEvent(terminal, true));
            r.resumes().unregister();
          }
          if (stored.failed()) {
            msg.fail(RuntimeApi.UNAVAILABLE, "Database unavailable");
          } else if (done.failed() && done.cause() instanceof ModelFailure mf && !run.cancellation().cancelled()) {
            msg.fail(mf.status(), mf.getMessage());
          } else {
            JsonObject reply = new JsonObject().put("run", stored.result());
            msg.reply(msg.body() instanceof JsonObject ? reply : new Document(reply));
          }
        });
  }

  /** The session's earlier turns, then this message: what the model sees. */
  private static JsonArray conversation(JsonArray runs, String message) {
    JsonArray messages = new JsonArray();
    if (runs != null) {
      for (Object o : runs) {
        JsonObject run = (JsonObject) o;
        Object input = run.getValue("run_input");
        if (input instanceof JsonObject in && in.getString("message") != null) {
          messages.add(new JsonObject().put("role", "user").put("content", in.getString("message")));
        }
        if (run.getString("content") != null && "COMPLETED".equals(run.getString("status"))) {
          messages.add(new JsonObject().put("role", "assistant").put("content", run.getString("content")));
        }
      }
    }
    return messages.add(new JsonObject().put("role", "user").put("content", message));
  }

  private Future<String> execute(String family, String id, JsonArray messages, String message, List<Call> calls,
                                 java.util.function.Consumer<String> onDelta, ModelCall.Cancellation cancellation) {
    switch (family) {
      case "agents":
        return agent(id, messages, calls, onDelta, cancellation);
      case "teams":
        return team(registry.teams().get(id), messages, calls, onDelta, cancellation);
      default: {
        Future<String> chain = Future.succeededFuture(message);
        List<Registry.Step> steps = registry.workflows().get(id).steps();
        for (int i = 0; i < steps.size(); i++) {
          Registry.Step step = steps.get(i);
          boolean last = i == steps.size() - 1;
          java.util.function.Consumer<String> sink = last ? onDelta : piece -> { };
          chain = chain.compose(input -> {
            JsonArray stepMessages = new JsonArray().add(new JsonObject().put("role", "user").put("content", input));
            return step.kind().equals("agent") ? agent(step.id(), stepMessages, calls, sink, cancellation)
                : team(registry.teams().get(step.id()), stepMessages, calls, sink, cancellation);
          });
        }
        return chain;
      }
    }
  }

  private Future<String> agent(String agentId, JsonArray messages, List<Call> calls, java.util.function.Consumer<String> onDelta,
                               ModelCall.Cancellation cancellation) {
    Registry.Agent agent = registry.agents().get(agentId);
    JsonArray withInstructions = messages;
    if (agent.instructions() != null) {
      withInstructions = new JsonArray().add(new JsonObject().put("role", "system").put("content", agent.instructions()));
      messages.forEach(withInstructions::add);
    }
    String input = lastUser(messages);
    return model(agent.model()).complete(withInstructions, onDelta, cancellation)
        .onSuccess(out -> calls.add(new Call("agent " + agentId, "agent", input, out)));
  }

  private Future<String> team(Registry.Team team, JsonArray messages, List<Call> calls, java.util.function.Consumer<String> onDelta,
                              ModelCall.Cancellation cancellation) {
    String input = lastUser(messages);
    if (team.mode().equals("route")) {
      // the team model picks one member; with echo (and as the fallback) the first
      String member = team.members().get(0);
      calls.add(new Call("route " + team.id() + " to " + member, "llm", input, member));
      return agent(member, messages, calls, onDelta, cancellation);
    }
    Future<List<String>> answers = Future.succeededFuture(new ArrayList<>());
    for (String member : team.members()) {
      answers = answers.compose(list -> agent(member, messages, calls, piece -> { }, cancellation).map(a -> {
        list.add(a);
        return list;
      }));
    }
    return answers.compose(list -> {
      String combined = String.join("\n\n", list);
      JsonArray teamMessages = new JsonArray().add(new JsonObject().put("role", "user").put("content", combined));
      return model(team.model()).complete(teamMessages, onDelta, cancellation)
          .onSuccess(out -> calls.add(new Call("team " + team.id() + " model", "llm", combined, out)));
    });
  }

  private ModelCall model(Registry.Model model) {
    return model.provider().equals("openai") ? new OpenAiModel(http, model) : new EchoModel();
  }

  private static String lastUser(JsonArray messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonObject m = messages.getJsonObject(i);
      if ("user".equals(m.getString("role"))) return m.getString("content");
    }
    return "";
  }

  private void emit(Run run, JsonObject event) {
    run.eventLog().add(event);
    if (run.events() != null) vertx.eventBus().send(run.events(), new RunEvent(event, false));
    Resumable r = resumable.get(run.runId());
    if (r != null) for (String follower : r.followers()) vertx.eventBus().send(follower, new RunEvent(event, false));
  }

  private static final java.util.Set<String> TERMINAL = java.util.Set.of("RunCompleted", "RunError", "RunCancelled");

  /**
   * A resumed stream (agno's {@code /resume}): the events after the client's last one, then, while the run goes on, every
   * new one. Only for a caller who may see the run (the cancel rule); anyone else learns nothing (404). The reply says
   * whether the run had already ended, so a stream with nothing left to send can end at once.
   */
  private void resume(Message<Object> msg, Run run, List<String> followers) {
    RunResume r;
    try {
      r = msg.body() instanceof RunResume typed ? typed : RunResume.fromJson((JsonObject) msg.body());
    } catch (IllegalArgumentException | ClassCastException malformed) {
      msg.fail(RuntimeApi.BAD_REQUEST, "malformed resume request");
      return;
    }
    if (r.owner() == null || r.eventsAddress() == null) {
      msg.fail(RuntimeApi.BAD_REQUEST, "malformed resume request");
      return;
    }
    boolean visible = run.family().equals(r.family()) && run.id().equals(r.id())
        && run.owner().tenantId().equals(r.owner().tenantId())
        && (r.owner().isEveryone() || (Objects.equals(run.owner(), r.owner()) && run.sessionId().equals(r.sessionId())));
    if (!visible) {
      msg.fail(RuntimeApi.NOT_FOUND, "Run not found");
      return;
    }
    JsonArray log = run.eventLog();
    boolean ended = !log.isEmpty() && TERMINAL.contains(log.getJsonObject(log.size() - 1).getString("event"));
    int sent = 0;
    for (int i = Math.max(0, r.lastEventIndex() + 1); i < log.size(); i++) {
      vertx.eventBus().send(r.eventsAddress(), new RunEvent(log.getJsonObject(i), ended && i == log.size() - 1));
      sent++;
    }
    if (!ended) followers.add(r.eventsAddress());
    JsonObject reply = new JsonObject().put("ended", ended).put("sent", sent);
    msg.reply(msg.body() instanceof JsonObject ? reply : new Document(reply));
  }

  private Future<JsonObject> record(RunRequest req, String type, String componentId, String runId, String sessionId, String message,
                                    String content, String status, JsonArray events, List<Call> calls, Instant start) {
    JsonObject input = new JsonObject().put("message", message);
    // a run made through a delegated token: who acted for the owner, the current actor first (docs/authorization.md)
    JsonArray actors = new JsonArray(req.actors().stream().map(dev.agentos.contract.Principal.Actor::toJson).toList());
    if (!actors.isEmpty()) input.put("actors", actors);
    if (req.sessionState() != null) input.put("session_state", req.sessionState());
    if (req.dependencies() != null) input.put("dependencies", req.dependencies());
    if (req.metadata() != null) input.put("metadata", req.metadata());
    JsonObject run = new JsonObject().put("run_id", runId).put("status", status).put("input", input).put("content", content)
        .put("metrics", new JsonObject().put("model_calls", calls.size())).put("events", events);
    Instant end = Instant.now();
    String traceId = UUID.randomUUID().toString();
    String traceStatus = status.equals("COMPLETED") ? "OK" : "ERROR";
    JsonObject runSpan = new JsonObject().put("span_id", traceId + "-run").put("name", type + " run")
        .put("kind", type).put("status", traceStatus).put("start_time", start.toString()).put("end_time", end.toString())
        .put("input", message).put("output", content);
    if (!actors.isEmpty()) {
      runSpan.put("attributes", new JsonObject().put("agentos.subject", req.owner().userId().orElse(null)).put("agentos.actors", actors));
    }
    JsonArray spans = new JsonArray().add(runSpan);
    for (int i = 0; i < calls.size(); i++) {
      Call c = calls.get(i);
      spans.add(new JsonObject().put("span_id", traceId + "-" + i).put("parent_span_id", traceId + "-run")
          .put("name", c.spanName()).put("kind", c.kind()).put("start_time", start.toString()).put("end_time", end.toString())
          .put("input", c.input()).put("output", c.output()));
    }
    JsonObject trace = new JsonObject().put("trace_id", traceId).put("run_id", runId).put("session_id", sessionId)
        .put("component_type", type).put("component_id", componentId).put("name", type + ".run").put("status", traceStatus)
        .put("start_time", start.toString()).put("end_time", end.toString()).put("input", message);
    // the run, its trace and its spans in one transaction: stored together or not at all
    return storage.request(new StorageRequest.RunsRecord(req.owner(), sessionId, type, componentId, run, trace, spans))
        .map(stored -> stored.put("events", events));
  }

  @Override
  public Future<?> stop() {
    inFlight.values().forEach(r -> r.cancellation.cancel());
    resumable.values().forEach(r -> r.resumes().unregister());
    Future<Void> a = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<Void> b = cancels == null ? Future.succeededFuture() : cancels.unregister();
    return Future.all(a, b).eventually(() -> http == null ? Future.succeededFuture() : http.close());
  }
}
