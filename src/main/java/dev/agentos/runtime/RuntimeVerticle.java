package dev.agentos.runtime;

import dev.agentos.config.Registry;
import dev.agentos.storage.StorageApi;
import dev.agentos.storage.StorageClient;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Executes runs of agents, teams and workflows with the built-in {@code echo} model (deterministic and
 * offline: a model's output is its input, verbatim), and records each run, its session and its trace
 * through the storage verticle. Teams: {@code coordinate} asks every member and lets the team model combine
 * their answers; {@code route} lets the team model pick one member (echo picks the first). Workflows run
 * their steps in order, each step's output feeding the next.
 */
public final class RuntimeVerticle extends VerticleBase {
  private final Registry registry;
  private MessageConsumer<JsonObject> consumer;

  public RuntimeVerticle(Registry registry) {
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().consumer(RuntimeApi.ADDRESS, this::handle);
    return consumer.completion();
  }

  /** One model call, recorded as a span. */
  private record Call(String spanName, String kind, String input, String output) {}

  private void handle(Message<JsonObject> msg) {
    JsonObject req = msg.body();
    String family = req == null ? null : req.getString("family");
    String id = req == null ? null : req.getString("id");
    String message = req == null ? null : req.getString("message");
    String sessionId = req == null ? null : req.getString("session_id");
    if (!RuntimeApi.RUN.equals(msg.headers().get(RuntimeApi.ACTION_HEADER)) || family == null || id == null
        || message == null || sessionId == null || !req.containsKey("owner")) {
      msg.fail(RuntimeApi.BAD_REQUEST, "malformed run request");
      return;
    }
    List<Call> calls = new ArrayList<>();
    String content;
    String type;
    switch (family) {
      case "agents" -> {
        if (!registry.agents().containsKey(id)) {
          msg.fail(RuntimeApi.NOT_FOUND, "Agent not found");
          return;
        }
        type = "agent";
        content = agent(id, message, calls);
      }
      case "teams" -> {
        Registry.Team team = registry.teams().get(id);
        if (team == null) {
          msg.fail(RuntimeApi.NOT_FOUND, "Team not found");
          return;
        }
        type = "team";
        content = team(team, message, calls);
      }
      case "workflows" -> {
        Registry.Workflow workflow = registry.workflows().get(id);
        if (workflow == null) {
          msg.fail(RuntimeApi.NOT_FOUND, "Workflow not found");
          return;
        }
        type = "workflow";
        String input = message;
        for (Registry.Step step : workflow.steps()) {
          input = step.kind().equals("agent") ? agent(step.id(), input, calls) : team(registry.teams().get(step.id()), input, calls);
        }
        content = input;
      }
      default -> {
        msg.fail(RuntimeApi.BAD_REQUEST, "unknown family");
        return;
      }
    }
    record(req, type, id, sessionId, message, content, calls).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("run", ar.result()));
      } else if (StorageClient.code(ar.cause()) == StorageApi.NOT_FOUND || StorageClient.code(ar.cause()) == StorageApi.CONFLICT) {
        msg.fail(RuntimeApi.NOT_FOUND, "Session not found");
      } else {
        msg.fail(RuntimeApi.UNAVAILABLE, "Database unavailable");
      }
    });
  }

  private String agent(String agentId, String input, List<Call> calls) {
    String output = echo(input);
    calls.add(new Call("agent " + agentId, "agent", input, output));
    return output;
  }

  private String team(Registry.Team team, String input, List<Call> calls) {
    if (team.mode().equals("route")) {
      // the team model picks one member; echo picks the first
      String member = team.members().get(0);
      calls.add(new Call("route " + team.id() + " → " + member, "llm", input, member));
      return agent(member, input, calls);
    }
    List<String> answers = new ArrayList<>();
    for (String member : team.members()) answers.add(agent(member, input, calls));
    String combined = String.join("\n\n", answers);
    String output = echo(combined);
    calls.add(new Call("team " + team.id() + " model", "llm", combined, output));
    return output;
  }

  /** The built-in model: its answer is its input, verbatim. */
  private static String echo(String input) {
    return input;
  }

  private Future<JsonObject> record(JsonObject req, String type, String componentId, String sessionId, String message,
                                    String content, List<Call> calls) {
    String runId = UUID.randomUUID().toString();
    Instant start = Instant.now();
    JsonArray events = new JsonArray()
        .add(new JsonObject().put("event", "RunStarted").put("run_id", runId).put("session_id", sessionId).put("created_at", start.getEpochSecond()))
        .add(new JsonObject().put("event", "RunContent").put("run_id", runId).put("content", content))
        .add(new JsonObject().put("event", "RunCompleted").put("run_id", runId).put("content", content));
    JsonObject input = new JsonObject().put("message", message);
    for (String extra : List.of("session_state", "dependencies", "metadata")) {
      if (req.getValue(extra) != null) input.put(extra, req.getValue(extra));
    }
    JsonObject run = new JsonObject().put("run_id", runId).put("status", "COMPLETED").put("input", input).put("content", content)
        .put("metrics", new JsonObject().put("model_calls", calls.size())).put("events", events);
    Object owner = req.getValue("owner");
    JsonObject runRecord = new JsonObject().put("owner", owner).put("session_id", sessionId).put("session_type", type)
        .put("component_id", componentId).put("run", run);
    StorageClient storage = new StorageClient(vertx, 10_000);
    return storage.request(StorageApi.RUNS_RECORD, runRecord).compose(stored -> {
      Instant end = Instant.now();
      String traceId = UUID.randomUUID().toString();
      JsonArray spans = new JsonArray().add(new JsonObject().put("span_id", traceId + "-run").put("name", type + " run")
          .put("kind", type).put("start_time", start.toString()).put("end_time", end.toString()).put("input", message)
          .put("output", content));
      for (int i = 0; i < calls.size(); i++) {
        Call c = calls.get(i);
        spans.add(new JsonObject().put("span_id", traceId + "-" + i).put("parent_span_id", traceId + "-run").put("name", c.spanName())
            .put("kind", c.kind()).put("start_time", start.toString()).put("end_time", end.toString()).put("input", c.input())
            .put("output", c.output()).put("attributes", new JsonObject().put("model", "echo")));
      }
      JsonObject trace = new JsonObject().put("trace_id", traceId).put("run_id", runId).put("session_id", sessionId)
          .put("component_type", type).put("component_id", componentId).put("name", type + ".run").put("status", "OK")
          .put("start_time", start.toString()).put("end_time", end.toString()).put("input", message);
      return storage.request(StorageApi.TRACES_RECORD, new JsonObject().put("owner", owner).put("trace", trace).put("spans", spans))
          .map(v -> stored.put("events", events));
    });
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
