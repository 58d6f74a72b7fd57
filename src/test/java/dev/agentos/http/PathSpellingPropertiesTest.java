package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For generated spellings of protected paths (dot segments, doubled and encoded slashes, case, trailing
 * slashes, percent-encodings, matrix parameters, excluded-route prefixes), the answer is never weaker than
 * for the canonical path: a spelling of a path the caller may not use is never a 2xx, and never a 5xx.
 * Requests go over real HTTP with the raw request target, as a hostile client would send them.
 */
@DisplayName("Path spellings never weaken a decision")
class PathSpellingPropertiesTest {
  private static TestDatabase db;
  private static TestServer server;
  private static HttpClient raw;

  /** Denied for {@link #RESTRICTED} in their canonical spelling. */
  private static final List<String[]> DENIED = List.of(
      new String[] {"GET", "/agents/a7"}, new String[] {"GET", "/sessions"}, new String[] {"GET", "/config"},
      new String[] {"GET", "/metrics"}, new String[] {"POST", "/agents/a7/runs"}, new String[] {"DELETE", "/sessions/s1"},
      new String[] {"GET", "/memories"}, new String[] {"GET", "/traces"}, new String[] {"GET", "/authz/roles"},
      new String[] {"GET", "/models"}, new String[] {"GET", "/teams/duo"}, new String[] {"POST", "/sessions"});
  private static final String RESTRICTED = Tokens.hs256("mallory", "agents:a1:read");
  private static final List<String> EXCLUDED_PREFIXES = List.of("/health", "/docs", "/openapi.json", "/ready", "/info", "");

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("user_isolation", true)));
    raw = server.vertx().createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    db.close();
  }

  static LongStream seeds() {
    return LongStream.rangeClosed(1, 30);
  }

  /** One spelling transformation that keeps the path's meaning under RFC 3986 resolution. */
  private static String transform(String path, Random r) {
    String[] segs = path.substring(1).split("/", -1);
    int at = r.nextInt(segs.length);
    switch (r.nextInt(12)) {
      case 0 -> segs[at] = "./" + segs[at];
      case 1 -> segs[at] = "zz/../" + segs[at];
      case 2 -> segs[at] = "/" + segs[at]; // doubled slash
      case 3 -> { return path + (r.nextBoolean() ? "/" : "//"); }
      case 4 -> segs[at] = percentEncodeOne(segs[at], r);
      case 5 -> segs[at] = segs[at].toUpperCase();
      case 6 -> segs[at] = segs[at] + ";jsessionid=" + r.nextInt(100);
      case 7 -> { return String.join("%2F", List.of(path.substring(1).split("/"))).transform(p -> "/" + p); }
      case 8 -> segs[at] = "%2e/" + segs[at];
      case 9 -> segs[at] = "zz/%2e%2e/" + segs[at];
      case 10 -> { return EXCLUDED_PREFIXES.get(r.nextInt(EXCLUDED_PREFIXES.size())) + "/.." + path; }
      default -> segs[at] = segs[at] + (r.nextBoolean() ? "%00" : "%20");
    }
    return "/" + String.join("/", segs);
  }

  private static String percentEncodeOne(String segment, Random r) {
    if (segment.isEmpty()) return segment;
    int i = r.nextInt(segment.length());
    char c = segment.charAt(i);
    String enc = String.format("%%%02X", (int) c);
    if (r.nextBoolean()) enc = enc.toLowerCase();
    return segment.substring(0, i) + enc + segment.substring(i + 1);
  }

  private static int status(String method, String target, String token) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.valueOf(method)).setHost("127.0.0.1")
        .setPort(server.port()).setURI(target);
    if (token != null) options.putHeader("Authorization", "Bearer " + token);
    // body() nested inside send(): a flat request→send→body chain driven from a test thread can lose a
    // response (shared/guide/vertx-notes.md)
    io.vertx.core.Promise<Integer> status = io.vertx.core.Promise.promise();
    raw.request(options).onFailure(status::tryFail).onSuccess(req -> req
        .send(method.equals("POST") ? Buffer.buffer("{}") : Buffer.buffer())
        .onFailure(status::tryFail)
        .onSuccess(resp -> resp.body().onComplete(b -> status.tryComplete(resp.statusCode()))));
    try {
      return status.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer in 10 s to " + method + " " + target, e);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("a spelling of a denied path is never 2xx or 5xx, with a restricted token or with none")
  void spellingsNeverWeaken(long seed) throws Exception {
    Random r = new Random(seed);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String[] denied = DENIED.get(r.nextInt(DENIED.size()));
      String spelled = denied[1];
      int rounds = 1 + r.nextInt(3);
      for (int k = 0; k < rounds; k++) spelled = transform(spelled, r);
      assertThat(status(denied[0], denied[1], RESTRICTED)).as("canonical %s %s", denied[0], denied[1]).isEqualTo(403);
      for (String token : new String[] {RESTRICTED, null}) {
        int status = status(denied[0], spelled, token);
        if (status < 400 || status >= 500) {
          failures.add(denied[0] + " " + spelled + (token == null ? " (no token)" : " (restricted)") + " -> " + status);
        }
      }
    }
    assertThat(failures).isEmpty();
  }
}
