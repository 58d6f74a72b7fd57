package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every route that reads a request body, generated bad bodies (not JSON, JSON that is not an object,
 * deep nesting, every known field with a wrong type next to unknown fields and huge strings, bodies past
 * the limit) give a 4xx with {@code {"detail": ...}}, never a 5xx, and change nothing in the database
 * (a fingerprint of every table is compared before and after).
 */
@DisplayName("Bad request bodies: 4xx {detail}, never 5xx, nothing written")
class RequestBodyPropertiesTest {
  private static TestDatabase db;
  private static TestServer server;
  private static HttpClient raw;
  private static final String ADMIN = Tokens.admin();

  /** Every route that reads a body, with its path parameters filled with rows that exist. */
  private static final List<String[]> ROUTES = List.of(
      new String[] {"POST", "/service-accounts"}, new String[] {"POST", "/agents/assistant/runs"},
      new String[] {"POST", "/teams/duo/runs"}, new String[] {"POST", "/workflows/relay/runs"},
      new String[] {"POST", "/sessions"}, new String[] {"DELETE", "/sessions"},
      new String[] {"PATCH", "/sessions/prop-session"}, new String[] {"POST", "/sessions/prop-session/rename"},
      new String[] {"POST", "/memories"}, new String[] {"DELETE", "/memories"}, new String[] {"PATCH", "/memories/MEMORY"},
      new String[] {"POST", "/traces/search"}, new String[] {"PUT", "/authz/roles/prop-role"},
      new String[] {"PUT", "/authz/subjects/bob/roles"}, new String[] {"POST", "/authz/check"});

  /** Field names our routes read; a generated body gives each a value of a type none of them accepts. */
  private static final List<String> FIELDS = List.of("session_id", "session_name", "session_type", "session_state",
      "agent_id", "team_id", "workflow_id", "user_id", "memory", "topics", "input", "memory_ids", "session_ids",
      "name", "scopes", "roles", "deny", "description", "expires_in_days", "metadata", "filter", "message",
      "action", "resource_id", "principal", "subject", "stream", "sort_by", "sort_order");

  private static String memoryId;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject()
        .put("authorization", new JsonObject().put("user_isolation", true))
        .put("agents", new JsonArray().add(new JsonObject().put("id", "assistant").put("model", new JsonObject().put("provider", "echo"))))
        .put("teams", new JsonArray().add(new JsonObject().put("id", "duo").put("members", new JsonArray().add("assistant"))
            .put("model", new JsonObject().put("provider", "echo"))))
        .put("workflows", new JsonArray().add(new JsonObject().put("id", "relay").put("steps", new JsonArray()
            .add(new JsonObject().put("agent", "assistant"))))));
    // a connection per request: the server may answer (413, 422) before reading a body and close, and a pooled
    // connection in that state must not hold up the next request
    raw = server.vertx().createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
    // rows for the routes that address one
    assertThat(send("POST", "/sessions", "application/json", new JsonObject().put("session_id", "prop-session").encode())).isEqualTo(201);
    var memory = TestServer.call(server, HttpMethod.POST, "/memories", ADMIN, new JsonObject().put("memory", "likes tea").put("user_id", "admin-user"));
    assertThat(memory.statusCode()).isLessThan(300);
    memoryId = memory.bodyAsJsonObject().getString("memory_id");
    assertThat(send("PUT", "/authz/roles/prop-role", "application/json",
        new JsonObject().put("scopes", new JsonArray().add("agents:read")).encode())).isEqualTo(200);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    db.close();
  }

  static LongStream seeds() {
    return LongStream.rangeClosed(1, Long.getLong("seeds", 25));
  }

  private static int lastStatus;
  private static String lastBody;

  private static int send(String method, String path, String contentType, String body) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.valueOf(method)).setHost("127.0.0.1")
        .setPort(server.port()).setURI(path.replace("MEMORY", String.valueOf(memoryId)))
        .putHeader("Authorization", "Bearer " + ADMIN);
    if (contentType != null) options.putHeader("Content-Type", contentType);
    io.vertx.core.Promise<Object[]> answer = io.vertx.core.Promise.promise();
    raw.request(options).onFailure(answer::tryFail).onSuccess(req -> req.send(Buffer.buffer(body))
        .onFailure(answer::tryFail)
        .onSuccess(resp -> resp.body().onComplete(b -> answer.tryComplete(new Object[] {resp.statusCode(),
            b.succeeded() ? b.result().toString() : ""}))));
    Object[] result;
    try {
      result = answer.future().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer in 20 s to " + method + " " + path + " (" + contentType + ", "
          + body.length() + " bytes: " + body.substring(0, Math.min(60, body.length())) + ")", e);
    }
    lastStatus = (Integer) result[0];
    lastBody = (String) result[1];
    return lastStatus;
  }

  private record Body(String kind, String contentType, String text) {}

  private static Body generate(Random r) {
    int kind = r.nextInt(6);
    return switch (kind) {
      case 0 -> new Body("not JSON", "application/json", List.of("{", "{\"a\":", "<xml/>", "nul", "{'a': 1}", "[1,",
          "\u0000\u0001", "{\"a\" 1}", "\uFEFF{}x", "--boundary").get(r.nextInt(10)));
      case 1 -> new Body("JSON but not an object", "application/json",
          List.of("[]", "[1,2]", "42", "\"text\"", "true", "null", "[{}]").get(r.nextInt(7)));
      case 2 -> {
        int depth = 2_000 + r.nextInt(3_000);
        String open = r.nextBoolean() ? "{\"a\":" : "[";
        String close = open.equals("[") ? "]" : "}";
        yield new Body("nested " + depth + " deep", "application/json", open.repeat(depth) + "1" + close.repeat(depth));
      }
      case 3 -> new Body("wrong types, unknown fields, a huge string", "application/json", wrongTypes(r).encode());
      case 4 -> new Body("past the body limit", "application/json",
          new JsonObject().put("session_name", "x".repeat(1_100_000)).encode());
      default -> new Body("another content type", List.of("text/plain", "application/xml", "application/octet-stream",
          "multipart/form-data; boundary=zz").get(r.nextInt(4)), "<a>" + "z".repeat(r.nextInt(50)) + "</a>");
    };
  }

  private static JsonObject wrongTypes(Random r) {
    JsonObject o = new JsonObject();
    for (String field : FIELDS) {
      Object value = switch (r.nextInt(5)) {
        case 0 -> 42;
        case 1 -> -1.5;
        case 2 -> r.nextBoolean();
        case 3 -> new JsonArray().add(1).add(2);
        default -> new JsonArray().add(true);
      };
      o.put(field, value);
    }
    o.put("unknown_" + r.nextInt(1000), "u");
    if (r.nextBoolean()) o.put("padding", "p".repeat(100_000 + r.nextInt(300_000)));
    return o;
  }

  /**
   * md5 of every table's rows, except Flyway's own history and the decision records, which record each request itself
   * (docs/authorization.md, "Decision records"), refused ones included.
   */
  private static Map<String, String> fingerprint() throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
          + "AND tablename NOT LIKE 'flyway%' AND tablename <> 'authz_decisions' ORDER BY tablename")) {
        while (rs.next()) tables.add(rs.getString(1));
      }
      for (String table : tables) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "
            + table + " t")) {
          rs.next();
          out.put(table, rs.getString(1));
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("every body-reading route answers generated bad bodies with 4xx {detail} and writes nothing")
  void badBodiesAreRefused(long seed) throws Exception {
    Random r = new Random(seed);
    Map<String, String> before = fingerprint();
    List<String> failures = new ArrayList<>();
    for (String[] route : ROUTES) {
      Body body = generate(r);
      int status = send(route[0], route[1], body.contentType, body.text);
      boolean detail;
      try {
        detail = new JsonObject(lastBody).containsKey("detail");
      } catch (RuntimeException notJson) {
        detail = false;
      }
      if (status < 400 || status >= 500 || !detail) {
        failures.add(route[0] + " " + route[1] + " with " + body.kind + " (" + body.contentType + ") -> " + status + " "
            + lastBody.substring(0, Math.min(200, lastBody.length())));
      }
    }
    assertThat(failures).isEmpty();
    assertThat(fingerprint()).as("database after seed %d", seed).isEqualTo(before);
  }
}
