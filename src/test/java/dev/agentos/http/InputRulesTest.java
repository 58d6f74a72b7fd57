package dev.agentos.http;

import static dev.agentos.testing.TestServer.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Inputs: ids that can be created can be addressed; text PostgreSQL cannot store is a 422")
class InputRulesTest {
  private static TestDatabase db;
  private static TestServer s;
  private static final String USER = Tokens.hs256("ivy", "sessions:read", "sessions:write", "sessions:delete", "memories:read",
      "memories:write", "traces:read", "agents:read", "agents:run");

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("user_isolation", true))
        .put("agents", new JsonArray().add(new JsonObject().put("id", "assistant").put("model", new JsonObject().put("provider", "echo")))));
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  static Stream<String> badIds() {
    return Stream.of("a/b", "x y", "a?b", "a#b", "%2e%2e", "..", ".", ".hidden", "-x", "a\\b", "a%b", "tab\tid", "ü-umlaut",
        "x".repeat(129), "x".repeat(9000), "a;b", "a,b", "<script>", "a\"b");
  }

  @ParameterizedTest(name = "session id ''{0}''")
  @MethodSource("badIds")
  @DisplayName("a session id outside the id alphabet or over 128 characters is a 422 where it is created, and nothing is stored")
  void badSessionIdRefused(String id) throws Exception {
    var r = call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", id));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(422);
    assertThat(r.bodyAsJsonObject().getJsonArray("detail").getJsonObject(0).getJsonArray("loc").getList()).containsExactly("body", "session_id");
    assertThat(TestServer.send(s.request(HttpMethod.POST, "/agents/assistant/runs").putHeader("Authorization", "Bearer " + USER)
        .putHeader("Content-Type", "application/x-www-form-urlencoded"),
        io.vertx.core.buffer.Buffer.buffer("message=hi&stream=false&session_id=" + URLEncoder.encode(id, StandardCharsets.UTF_8)))
        .statusCode()).as("as a run's session_id").isEqualTo(422);
    try (var c = db.connect(); var st = c.prepareStatement("SELECT count(*) FROM sessions WHERE session_id = ?")) {
      st.setString(1, id);
      try (var rs = st.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).isZero();
      }
    }
  }

  @ParameterizedTest(name = "session id ''{0}''")
  @ValueSource(strings = {"3f2b1c9e-7a4d-4e8f-9b0a-1c2d3e4f5a6b", "chat-1", "a.b:c@d_e", "X", "0", "user@example.com"})
  @DisplayName("an id in the alphabet is created and addressed by its own routes")
  void goodIdAddressable(String id) {
    assertThat(call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", id)).statusCode()).isEqualTo(201);
    assertThat(s.get("/sessions/" + id + "?type=agent", USER).statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.DELETE, "/sessions/" + id, USER, null).statusCode()).isEqualTo(204);
    assertThat(s.get("/sessions/" + id + "?type=agent", USER).statusCode()).isEqualTo(404);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/sessions?component_id=a%2Fb", "/sessions?session_name=a%00b", "/memories?agent_id=..",
      "/traces?session_id=a%20b", "/traces?run_id=%00", "/memories?search_content=x%00y"})
  @DisplayName("a query parameter with a NUL, or a component id outside the alphabet, is a 422 naming it, never a 503")
  void badQueryRefused(String uri) {
    var r = s.get(uri, USER);
    assertThat(r.statusCode()).as(uri + " " + r.bodyAsString()).isEqualTo(422);
    assertThat(r.bodyAsJsonObject().getJsonArray("detail").getJsonObject(0).getJsonArray("loc").getString(0)).isEqualTo("query");
  }

  @Test
  @DisplayName("GET /sessions without type lists every type, as agno 2.7+ does (type=None); with type, only that type")
  void sessionsDefaultType() {
    String lister = Tokens.hs256("lister", "sessions:read", "sessions:write");
    for (String type : new String[] {"agent", "team", "workflow"}) {
      assertThat(call(s, HttpMethod.POST, "/sessions?type=" + type, lister, new JsonObject().put("session_id", "typed-" + type))
          .statusCode()).isEqualTo(201);
    }
    var all = s.get("/sessions", lister).bodyAsJsonObject().getJsonArray("data");
    assertThat(all.stream().map(o -> ((JsonObject) o).getString("session_id")).toList())
        .containsExactlyInAnyOrder("typed-agent", "typed-team", "typed-workflow");
    var teams = s.get("/sessions?type=team", lister).bodyAsJsonObject().getJsonArray("data");
    assertThat(teams.stream().map(o -> ((JsonObject) o).getString("session_id")).toList()).containsExactly("typed-team");
  }

  @Test
  @DisplayName("a NUL or an unpaired surrogate anywhere in a JSON body is a 422 naming the field, never a 503")
  void nulInBody() {
    for (JsonObject body : new JsonObject[] {
        new JsonObject().put("session_id", "ok-1").put("session_name", "a\u0000b"),
        new JsonObject().put("session_id", "ok-2").put("metadata", new JsonObject().put("k", new JsonArray().add("x\u0000"))),
        new JsonObject().put("session_id", "ok-3").put("session_state", new JsonObject().put("a\u0000", 1))}) {
      var r = call(s, HttpMethod.POST, "/sessions", USER, body);
      assertThat(r.statusCode()).as(body.encode() + " " + r.bodyAsString()).isEqualTo(422);
    }
    // an escaped lone surrogate, as a client writes it (a JSON encoder would not produce one from a Java string)
    var lone = TestServer.send(s.request(HttpMethod.POST, "/sessions").putHeader("Authorization", "Bearer " + USER)
        .putHeader("Content-Type", "application/json"), io.vertx.core.buffer.Buffer.buffer("{\"session_id\": \"ok-4\", \"session_name\": \"lone \\ud800 surrogate\"}"));
    assertThat(lone.statusCode()).as(lone.bodyAsString()).isEqualTo(422);
    var memory = call(s, HttpMethod.POST, "/memories", USER, new JsonObject().put("memory", "nul\u0000inside"));
    assertThat(memory.statusCode()).isEqualTo(422);
    assertThat(memory.bodyAsJsonObject().getJsonArray("detail").getJsonObject(0).getJsonArray("loc").getList()).containsExactly("body", "memory");
  }

  @Test
  @DisplayName("a NUL in a form field is a 422 naming the field; a form field as large as the body limit allows is accepted")
  void formFields() {
    var nul = TestServer.send(s.request(HttpMethod.POST, "/agents/assistant/runs").putHeader("Authorization", "Bearer " + USER)
        .putHeader("Content-Type", "application/x-www-form-urlencoded"), io.vertx.core.buffer.Buffer.buffer("message=a%00b&stream=false"));
    assertThat(nul.statusCode()).isEqualTo(422);
    assertThat(nul.bodyAsJsonObject().getJsonArray("detail").getJsonObject(0).getJsonArray("loc").getList()).containsExactly("body", "message");
    String big = "x".repeat(200_000); // beyond Vert.x's own 8 KB field limit, within the 1 MB body limit
    var large = TestServer.send(s.request(HttpMethod.POST, "/agents/assistant/runs").putHeader("Authorization", "Bearer " + USER)
        .putHeader("Content-Type", "application/x-www-form-urlencoded"), io.vertx.core.buffer.Buffer.buffer("stream=false&message=" + big));
    assertThat(large.statusCode()).as(large.bodyAsString().substring(0, Math.min(200, large.bodyAsString().length()))).isEqualTo(200);
    assertThat(large.bodyAsJsonObject().getString("content")).hasSize(200_000);
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> refusedForms() {
    String urlencoded = "application/x-www-form-urlencoded";
    String multipart = "multipart/form-data; boundary=XyZ";
    StringBuilder many = new StringBuilder("message=hi&stream=false");
    for (int i = 0; i < 1001; i++) many.append("&f").append(i).append("=x");
    return Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("bad percent-encoding", urlencoded, "message=%zz&stream=false", 400,
            "There was an error parsing the body: malformed form data"),
        org.junit.jupiter.params.provider.Arguments.of("a lone percent sign", urlencoded, "message=%&stream=false", 400,
            "There was an error parsing the body: malformed form data"),
        org.junit.jupiter.params.provider.Arguments.of("an empty field name", urlencoded, "=x&message=hi&stream=false", 400,
            "There was an error parsing the body: malformed form data"),
        org.junit.jupiter.params.provider.Arguments.of("1,003 fields", urlencoded, many.toString(), 400,
            "Too many fields. Maximum number of fields is 1000."),
        org.junit.jupiter.params.provider.Arguments.of("a 30,000-character field name in a multipart part", multipart,
            part("n".repeat(30_000), "v") + part("message", "hi") + "--XyZ--\r\n", 413,
            "Form field too large: a field's value may be as large as the body (http.max_body_bytes), its name and part headers at most 16384 bytes"));
  }

  private static String part(String name, String value) {
    return "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedForms")
  @DisplayName("a form the decoder refuses is a 4xx with a detail that says why, never a bare 'Bad Request'")
  void refusedForm(String what, String contentType, String body, int status, String detail) {
    var r = TestServer.send(s.request(HttpMethod.POST, "/agents/assistant/runs").putHeader("Authorization", "Bearer " + USER)
        .putHeader("Content-Type", contentType), io.vertx.core.buffer.Buffer.buffer(body));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo(detail);
  }

  @Test
  @DisplayName("a form of 1,000 fields, agno's limit, is accepted")
  void thousandFields() {
    StringBuilder body = new StringBuilder("message=hi&stream=false");
    for (int i = 0; i < 998; i++) body.append("&f").append(i).append("=x");
    var r = TestServer.send(s.request(HttpMethod.POST, "/agents/assistant/runs").putHeader("Authorization", "Bearer " + USER)
        .putHeader("Content-Type", "application/x-www-form-urlencoded"), io.vertx.core.buffer.Buffer.buffer(body.toString()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }
}
