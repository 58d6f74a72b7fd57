package dev.agentos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.contract.Owner;
import dev.agentos.contract.StorageRequest;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Long sessions and large listings stay bounded (docs/isolation.md, "Listings"): the runtime reads agno's history
 * window, never the whole session; run listings and chat history are paged; a run and its trace are stored in one
 * transaction; a listing's total_count is exact up to a cap.
 */
@DisplayName("Long sessions and listings: bounded reads, paged answers, one transaction per run")
class LongSessionsTest {
  static final String CAROL = Tokens.hs256("carol", "sessions:read", "sessions:write", "memories:read", "traces:read",
      "agents:read", "agents:run");
  private static TestDatabase db;
  private static TestServer s;
  private static StorageClient storage;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("agents", new JsonArray().add(new JsonObject().put("id", "a1")))
        .put("authorization", new JsonObject().put("user_isolation", true)
        .put("algorithms", new JsonArray().add("HS256")).put("verification_keys", new JsonArray().add(Tokens.SECRET))));
    storage = new StorageClient(s.vertx(), 10_000);
    // 250 runs in one session: 240 completed, then an errored, a cancelled and 8 more completed
    for (int i = 1; i <= 250; i++) {
      String status = i == 241 ? "ERROR" : i == 242 ? "CANCELLED" : "COMPLETED";
      await(storage.request(new StorageRequest.RunsRecord(Owner.user("carol"), "long", "agent", "a1", run("r-" + i, "m" + i, status),
          null, null)));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  private static JsonObject run(String runId, String message, String status) {
    return new JsonObject().put("run_id", runId).put("status", status).put("input", new JsonObject().put("message", message))
        .put("content", "echo: " + message);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static JsonArray array(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return new JsonArray(r.bodyAsString());
  }

  private static List<String> messages(JsonArray history) {
    return history.stream().map(o -> ((JsonObject) o).getJsonObject("run_input").getString("message")).toList();
  }

  @Test
  @DisplayName("the runtime's session read returns only the last completed runs it asks for, oldest first")
  void historyWindow() throws Exception {
    JsonObject prepared = await(storage.request(new StorageRequest.SessionsEnsure(Owner.user("carol"), "long", "agent", "a1", 3)));
    assertThat(messages(prepared.getJsonArray("history"))).containsExactly("m248", "m249", "m250");
    JsonObject ten = await(storage.request(new StorageRequest.SessionsEnsure(Owner.user("carol"), "long", "agent", "a1", 10)));
    assertThat(messages(ten.getJsonArray("history"))).doesNotContain("m241", "m242").hasSize(10).startsWith("m239").endsWith("m250");
    JsonObject none = await(storage.request(new StorageRequest.SessionsEnsure(Owner.user("carol"), "long", "agent", "a1", 0)));
    assertThat(none.getJsonArray("history")).isEmpty();
  }

  @Test
  @DisplayName("a new session has no history, and another owner's session is a 404 with nothing written")
  void historyOfNewAndForeignSessions() throws Exception {
    JsonObject fresh = await(storage.request(new StorageRequest.SessionsEnsure(Owner.user("carol"), "fresh-" + System.nanoTime(),
        "agent", "a1", 3)));
    assertThat(fresh.getJsonArray("history")).isEmpty();
    Throwable foreign = storage.request(new StorageRequest.SessionsEnsure(Owner.user("dave"), "long", "agent", "a1", 3))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(20, TimeUnit.SECONDS);
    assertThat(StorageClient.code(foreign)).isEqualTo(404);
    Throwable otherComponent = storage.request(new StorageRequest.SessionsEnsure(Owner.user("carol"), "long", "agent", "a2", 3))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(20, TimeUnit.SECONDS);
    assertThat(StorageClient.code(otherComponent)).isEqualTo(404);
  }

  @Test
  @DisplayName("GET /sessions/{id}/runs answers a page: 100 runs (the most there is) by default, oldest first, then agno's page and limit")
  void sessionRunsPaged() {
    JsonArray first = array(s.get("/sessions/long/runs", CAROL));
    assertThat(first).hasSize(100);
    assertThat(first.getJsonObject(0).getString("run_id")).isEqualTo("r-1");
    JsonArray third = array(s.get("/sessions/long/runs?page=3&limit=100", CAROL));
    assertThat(third).hasSize(50);
    assertThat(third.getJsonObject(49).getString("run_id")).isEqualTo("r-250");
    assertThat(array(s.get("/sessions/long/runs?page=2&limit=7", CAROL)).stream().map(o -> ((JsonObject) o).getString("run_id")))
        .containsExactly("r-8", "r-9", "r-10", "r-11", "r-12", "r-13", "r-14");
    assertThat(array(s.get("/sessions/long/runs?page=9&limit=100", CAROL))).isEmpty();
  }

  @Test
  @DisplayName("a page PostgreSQL writes holds each run exactly as reading that run alone shows it (fields, order, times)")
  void pageTextMatchesTheRunSchema() {
    JsonArray page = array(s.get("/sessions/long/runs?limit=5&page=50", CAROL));
    assertThat(page).hasSize(5);
    for (Object o : page) {
      JsonObject listed = (JsonObject) o;
      HttpResponse<Buffer> alone = s.get("/sessions/long/runs/" + listed.getString("run_id"), CAROL);
      assertThat(alone.statusCode()).isEqualTo(200);
      assertThat(listed).isEqualTo(alone.bodyAsJsonObject());
      assertThat(List.copyOf(listed.fieldNames())).isEqualTo(List.copyOf(alone.bodyAsJsonObject().fieldNames()));
    }
  }

  @Test
  @DisplayName("a page of sessions PostgreSQL writes shows each session as its own detail does (fields, values, times)")
  void sessionPageTextMatchesTheDetail() throws Exception {
    await(storage.request(new StorageRequest.SessionsCreate(Owner.user("carol"), "named", "team", "t1", "a name",
        new JsonObject().put("step", 2).put("nested", new JsonObject().put("k", "v")), new JsonObject().put("m", 1))));
    await(storage.request(new StorageRequest.SessionsUpdate(Owner.user("carol"), "named", null, null, null, null,
        new JsonObject().put("summary", "short"))));
    JsonObject page = s.get("/sessions?limit=50", CAROL).bodyAsJsonObject();
    assertThat(page.getJsonArray("data")).isNotEmpty();
    for (Object o : page.getJsonArray("data")) {
      JsonObject listed = (JsonObject) o;
      JsonObject detail = s.get("/sessions/" + listed.getString("session_id") + "?limit=1", CAROL).bodyAsJsonObject();
      assertThat(List.copyOf(listed.fieldNames())).containsExactly("session_id", "session_name", "session_state", "created_at",
          "updated_at", "session_type", "user_id", "agent_id", "team_id", "workflow_id", "session_summary", "metrics", "total_tokens");
      for (String field : listed.fieldNames()) {
        assertThat(listed.getValue(field)).as(listed.getString("session_id") + "." + field).isEqualTo(detail.getValue(field));
      }
    }
    JsonObject named = page.getJsonArray("data").stream().map(JsonObject.class::cast)
        .filter(j -> j.getString("session_id").equals("named")).findFirst().orElseThrow();
    assertThat(named.getString("team_id")).isEqualTo("t1");
    assertThat(named.getJsonObject("session_summary")).isEqualTo(new JsonObject().put("summary", "short"));
  }

  @Test
  @DisplayName("GET /agents/{id}/runs is paged the same way, and one run is found on any page")
  void componentRunsPaged() {
    assertThat(array(s.get("/agents/a1/runs?session_id=long", CAROL))).hasSize(100);
    assertThat(array(s.get("/agents/a1/runs?session_id=long&limit=20&page=13", CAROL))).hasSize(10);
    HttpResponse<Buffer> late = s.get("/agents/a1/runs/r-250?session_id=long", CAROL);
    assertThat(late.statusCode()).as(late.bodyAsString()).isEqualTo(200);
    assertThat(late.bodyAsJsonObject().getString("run_id")).isEqualTo("r-250");
    assertThat(s.get("/agents/a1/runs/r-999?session_id=long", CAROL).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("paging parameters out of range are a 422, never a 500 or an unbounded read")
  void pagingValidated() {
    for (String query : List.of("limit=0", "limit=101", "limit=1001", "limit=x", "page=0", "page=-1", "limit=5&limit=6")) {
      assertThat(s.get("/sessions/long/runs?" + query, CAROL).statusCode()).as(query).isEqualTo(422);
      assertThat(s.get("/agents/a1/runs?session_id=long&" + query, CAROL).statusCode()).as(query).isEqualTo(422);
      assertThat(s.get("/sessions/long?" + query, CAROL).statusCode()).as(query).isEqualTo(422);
    }
  }

  @Test
  @DisplayName("a session's chat_history shows its latest 100 runs by default, and older ones page by page")
  void chatHistoryPaged() {
    HttpResponse<Buffer> detail = s.get("/sessions/long", CAROL);
    assertThat(detail.statusCode()).as(detail.bodyAsString()).isEqualTo(200);
    JsonArray history = detail.bodyAsJsonObject().getJsonArray("chat_history");
    assertThat(history).hasSize(200); // a user and an assistant message per run
    assertThat(history.getJsonObject(0).getString("content")).isEqualTo("m151");
    assertThat(history.getJsonObject(199).getString("content")).isEqualTo("echo: m250");
    JsonArray older = s.get("/sessions/long?page=3&limit=100", CAROL).bodyAsJsonObject().getJsonArray("chat_history");
    assertThat(older).hasSize(100);
    assertThat(older.getJsonObject(0).getString("content")).isEqualTo("m1");
  }

  @Test
  @DisplayName("a run, its trace and its spans are stored together; when the session is another owner's, none of them is")
  void runAndTraceInOneTransaction() throws Exception {
    OffsetDateTime t0 = OffsetDateTime.parse("2026-12-01T10:00:00Z");
    JsonObject trace = new JsonObject().put("trace_id", "tx-trace").put("run_id", "tx-run").put("session_id", "long")
        .put("component_type", "agent").put("component_id", "a1").put("name", "agent.run").put("status", "OK")
        .put("start_time", t0.toString()).put("end_time", t0.plusSeconds(1).toString()).put("input", "hi");
    JsonArray spans = new JsonArray();
    for (int i = 0; i < 5; i++) {
      spans.add(new JsonObject().put("span_id", "tx-span-" + i).put("name", "step " + i).put("start_time", t0.toString())
          .put("end_time", t0.plusSeconds(1).toString()));
    }
    Throwable refused = storage.request(new StorageRequest.RunsRecord(Owner.user("dave"), "long", "agent", "a1",
            run("tx-run", "hi", "COMPLETED"), trace, spans))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(20, TimeUnit.SECONDS);
    assertThat(StorageClient.code(refused)).isEqualTo(404);
    assertThat(s.get("/traces/tx-trace", Tokens.hs256("dave", "traces:read")).statusCode()).isEqualTo(404);
    assertThat(s.get("/traces/tx-trace", CAROL).statusCode()).isEqualTo(404);

    await(storage.request(new StorageRequest.RunsRecord(Owner.user("carol"), "tx-session", "agent", "a1",
        run("tx-run", "hi", "COMPLETED"), trace.copy().put("session_id", "tx-session"), spans)));
    HttpResponse<Buffer> stored = s.get("/traces/tx-trace", CAROL);
    assertThat(stored.statusCode()).as(stored.bodyAsString()).isEqualTo(200);
    assertThat(stored.bodyAsJsonObject().getLong("total_spans")).isEqualTo(5L);
    assertThat(array(s.get("/sessions/tx-session/runs", CAROL))).hasSize(1);
  }

  @Test
  @DisplayName("a listing's total_count is exact up to the cap (1,000), then stops there and says so; pages go on")
  void cappedCount() throws Exception {
    String erin = Tokens.hs256("erin", "sessions:read", "memories:read");
    try (java.sql.Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
      st.execute("INSERT INTO sessions (tenant_id, session_id, user_id, session_type, component_id) SELECT '', 'erin-' || g, 'erin', 'agent', 'a1'"
          + " FROM generate_series(1, 1005) g");
      st.execute("INSERT INTO sessions (tenant_id, session_id, user_id, session_type, component_id) SELECT '', 'fred-' || g, 'fred', 'agent', 'a1'"
          + " FROM generate_series(1, 7) g");
      st.execute("INSERT INTO memories (tenant_id, memory_id, user_id, memory) SELECT '', 'erin-m' || g, 'erin', 'note ' || g"
          + " FROM generate_series(1, 1001) g");
    }
    JsonObject capped = s.get("/sessions?limit=20", erin).bodyAsJsonObject();
    assertThat(capped.getJsonObject("meta").getLong("total_count")).isEqualTo(1_000L);
    assertThat(capped.getJsonObject("meta").getBoolean("total_count_exact")).isFalse();
    assertThat(capped.getJsonObject("meta").getLong("total_pages")).isEqualTo(50L);
    assertThat(capped.getJsonArray("data")).hasSize(20);
    JsonObject beyond = s.get("/sessions?limit=20&page=51", erin).bodyAsJsonObject();
    assertThat(beyond.getJsonArray("data")).hasSize(5); // the listing goes on past the counted rows
    assertThat(beyond.getJsonObject("meta").getLong("total_count")).isEqualTo(1_000L);
    JsonObject memories = s.get("/memories?limit=1", erin).bodyAsJsonObject().getJsonObject("meta");
    assertThat(memories.getLong("total_count")).isEqualTo(1_000L);
    assertThat(memories.getBoolean("total_count_exact")).isFalse();

    JsonObject exact = s.get("/sessions?limit=5&page=9", Tokens.hs256("fred", "sessions:read")).bodyAsJsonObject();
    assertThat(exact.getJsonObject("meta").getLong("total_count")).isEqualTo(7L); // counted even past the last page
    assertThat(exact.getJsonObject("meta").getBoolean("total_count_exact")).isTrue();
    assertThat(exact.getJsonArray("data")).isEmpty();
  }
}
