package dev.agentos.storage;

import static dev.agentos.storage.IsolationTest.call;
import static dev.agentos.storage.IsolationTest.ids;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Data endpoints: validation, pagination, sorting")
class DataEndpointsTest {
  private static final String USER = Tokens.hs256("pat", "sessions:read", "sessions:write", "sessions:delete",
      "memories:read", "memories:write", "memories:delete", "traces:read");
  private static TestDatabase db;
  private static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("user_isolation", true)));
    for (int i = 1; i <= 25; i++) {
      assertThat(call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", String.format("s%02d", i))
          .put("session_name", i % 2 == 0 ? "even " + i : "odd " + i)).statusCode()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  @Test
  @DisplayName("pages follow agno's wrapper: data plus page, limit, total_pages and total_count")
  void pagination() {
    JsonObject page2 = call(s, HttpMethod.GET, "/sessions?limit=10&page=2&sort_by=session_name&sort_order=asc", USER, null).bodyAsJsonObject();
    JsonObject meta = page2.getJsonObject("meta");
    assertThat(meta.getInteger("page")).isEqualTo(2);
    assertThat(meta.getInteger("limit")).isEqualTo(10);
    assertThat(meta.getLong("total_count")).isEqualTo(25);
    assertThat(meta.getLong("total_pages")).isEqualTo(3);
    assertThat(page2.getJsonArray("data")).hasSize(10);
    assertThat(call(s, HttpMethod.GET, "/sessions?limit=10&page=3", USER, null).bodyAsJsonObject().getJsonArray("data")).hasSize(5);
    assertThat(call(s, HttpMethod.GET, "/sessions?limit=10&page=9", USER, null).bodyAsJsonObject().getJsonArray("data")).isEmpty();
  }

  @Test
  @DisplayName("sorting by name ascending and descending, and filtering by name (wildcards taken literally)")
  void sortingAndFiltering() {
    var asc = ids(call(s, HttpMethod.GET, "/sessions?sort_by=session_name&sort_order=asc&limit=100", USER, null), "session_id");
    assertThat(asc).hasSize(25);
    JsonArray desc = call(s, HttpMethod.GET, "/sessions?sort_by=session_name&sort_order=desc&limit=1", USER, null)
        .bodyAsJsonObject().getJsonArray("data");
    assertThat(desc.getJsonObject(0).getString("session_name")).isEqualTo("odd 9");
    assertThat(call(s, HttpMethod.GET, "/sessions?session_name=even&limit=100", USER, null).bodyAsJsonObject()
        .getJsonObject("meta").getLong("total_count")).isEqualTo(12);
    assertThat(call(s, HttpMethod.GET, "/sessions?session_name=%25", USER, null).bodyAsJsonObject()
        .getJsonObject("meta").getLong("total_count")).isZero();
  }

  /** method | uri | body | what is wrong */
  @ParameterizedTest(name = "{3}: 422 with a detail list")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "GET    | /sessions?limit=0                 | -                                   | limit below 1",
      "GET    | /sessions?limit=abc               | -                                   | limit not a number",
      "GET    | /sessions?limit=99999999999999    | -                                   | limit overflowing",
      "GET    | /sessions?page=0                  | -                                   | page below 1",
      "GET    | /sessions?type=robot              | -                                   | unknown session type",
      "GET    | /sessions?sort_by=password        | -                                   | unknown sort column",
      "GET    | /sessions?sort_order=sideways     | -                                   | unknown sort order",
      "GET    | /sessions?limit=1&limit=2         | -                                   | a repeated parameter",
      "POST   | /sessions                         | not json                            | a body that is not JSON",
      "POST   | /sessions                         | []                                  | a JSON array body",
      "POST   | /sessions                         | {\"session_id\": 5}                 | a numeric session id",
      "POST   | /sessions                         | {\"session_state\": \"x\"}          | a string session state",
      "POST   | /sessions                         | {\"session_id\": \"\"}              | an empty session id",
      "PATCH  | /sessions/s01                     | {\"metadata\": [1]}                 | metadata as a list",
      "POST   | /sessions/s01/rename              | {}                                  | rename without a name",
      "DELETE | /sessions                         | {\"session_ids\": []}               | an empty id list",
      "DELETE | /sessions                         | {\"session_ids\": [1], \"session_types\": [\"agent\"]} | a numeric id in the list",
      "POST   | /memories                         | {}                                  | a memory without text",
      "POST   | /memories                         | {\"memory\": \"\"}                  | an empty memory",
      "POST   | /memories                         | {\"memory\": \"x\", \"topics\": \"t\"} | topics as a string",
      "GET    | /sessions/s01/runs?created_after=yesterday | -                          | an unparseable time",
      "GET    | /traces?status=MAYBE              | -                                   | an unknown trace status",
      "GET    | /traces?agent_id=a&team_id=t      | -                                   | two component filters",
      "POST   | /traces/search                    | {\"group_by\": \"user\"}            | an unknown group_by",
      "POST   | /traces/search                    | {\"filter\": {\"field\": \"password\", \"op\": \"eq\", \"value\": \"x\"}} | an unknown filter field",
      "POST   | /traces/search                    | {\"filter\": {\"field\": \"name\", \"op\": \"gt\", \"value\": \"x\"}}     | an operator the field does not take",
      "POST   | /traces/search                    | {\"filter\": {\"field\": \"start_time\", \"op\": \"gt\", \"value\": \"now\"}} | a bad time value",
      "POST   | /traces/search                    | {\"filter\": {\"and\": []}}         | an empty and",
      "POST   | /traces/search                    | {\"limit\": \"10\"}                 | a string limit"})
  void invalid(String method, String uri, String body, String what) {
    HttpResponse<Buffer> r = call(s, HttpMethod.valueOf(method), uri, USER, body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(422);
    assertThat(r.bodyAsJsonObject().getJsonArray("detail")).isNotEmpty();
  }

  @Test
  @DisplayName("DELETE /sessions with lists of different lengths is agno's 400")
  void mismatchedDelete() {
    var r = call(s, HttpMethod.DELETE, "/sessions", USER, new JsonObject().put("session_ids", new JsonArray().add("s01").add("s02"))
        .put("session_types", new JsonArray().add("agent")));
    assertThat(r.statusCode()).isEqualTo(400);
  }

  @Test
  @DisplayName("a deeply nested filter is refused with 422, not a stack overflow or a 500")
  void deepFilter() {
    JsonObject f = new JsonObject().put("field", "name").put("op", "eq").put("value", "x");
    for (int i = 0; i < 50; i++) f = new JsonObject().put("not", f);
    assertThat(call(s, HttpMethod.POST, "/traces/search", USER, new JsonObject().put("filter", f)).statusCode()).isEqualTo(422);
    StringBuilder deepJson = new StringBuilder();
    for (int i = 0; i < 5_000; i++) deepJson.append("{\"a\":");
    deepJson.append("1");
    for (int i = 0; i < 5_000; i++) deepJson.append("}");
    assertThat(call(s, HttpMethod.POST, "/sessions", USER, deepJson.toString()).statusCode()).isEqualTo(422);
  }

  @Test
  @DisplayName("filter-schema lists the searchable fields and their operators")
  void filterSchema() {
    JsonObject schema = call(s, HttpMethod.GET, "/traces/filter-schema", USER, null).bodyAsJsonObject();
    assertThat(schema.getJsonArray("fields").stream().map(f -> ((JsonObject) f).getString("name")))
        .contains("status", "session_id", "start_time", "agent_id");
  }

  @Test
  @DisplayName("a session round trip: create, read, patch, rename, delete")
  void roundTrip() {
    JsonObject created = call(s, HttpMethod.POST, "/sessions?type=team", USER, new JsonObject().put("session_id", "rt")
        .put("team_id", "t1").put("session_state", new JsonObject().put("step", 1))).bodyAsJsonObject();
    assertThat(created.getString("session_type")).isEqualTo("team");
    assertThat(created.getString("team_id")).isEqualTo("t1");
    assertThat(created.getString("team_session_id")).isEqualTo("rt");
    assertThat(call(s, HttpMethod.GET, "/sessions/rt?type=team", USER, null).statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.GET, "/sessions/rt?type=agent", USER, null).statusCode()).isEqualTo(404);
    assertThat(call(s, HttpMethod.PATCH, "/sessions/rt", USER, new JsonObject().put("summary", new JsonObject().put("text", "sum")))
        .bodyAsJsonObject().getJsonObject("session_summary").getString("text")).isEqualTo("sum");
    assertThat(call(s, HttpMethod.DELETE, "/sessions/rt", USER, null).statusCode()).isEqualTo(204);
    assertThat(call(s, HttpMethod.GET, "/sessions/rt", USER, null).statusCode()).isEqualTo(404);
  }
}
