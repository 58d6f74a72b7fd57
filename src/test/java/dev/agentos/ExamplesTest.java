package dev.agentos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.authn.TokenSigner;
import dev.agentos.contract.Decision;
import dev.agentos.policy.PolicyClient;
import dev.agentos.contract.Principal;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each config under conf/examples/ started as documented, checked for what its header promises. */
@DisplayName("conf/examples")
class ExamplesTest {
  private static final String SECRET = "example-secret-of-at-least-32-bytes!!";
  private static TestDatabase db;

  @BeforeAll
  static void db() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void drop() {
    db.close();
  }

  private static Map<String, String> env(String key) {
    Map<String, String> env = new HashMap<>();
    env.put("JWT_VERIFICATION_KEY", key);
    env.put("AGENTOS_HTTP_PORT", String.valueOf(TestServer.freePort()));
    env.put("AGENTOS_HTTP_HOST", "127.0.0.1");
    env.put("AGENTOS_STORAGE_POSTGRES_HOST", db.host());
    env.put("AGENTOS_STORAGE_POSTGRES_PORT", String.valueOf(db.port()));
    env.put("AGENTOS_STORAGE_POSTGRES_DATABASE", db.name());
    env.put("AGENTOS_LOGGING_ACCESS_LOG", "off");
    return env;
  }

  private static String hs(String sub, String... scopes) {
    return TokenSigner.sign("HS256", TokenSigner.hmacKey(SECRET), Optional.empty(), Tokens.claims(sub, scopes));
  }

  @Test
  @DisplayName("basic-symmetric: 401 without a token, 403 without the scope, agents:read passes the policy")
  void basicSymmetric() throws Exception {
    try (TestServer s = TestServer.startFromFile("conf/examples/basic-symmetric.yaml", env(SECRET))) {
      assertThat(s.get("/agents").statusCode()).isEqualTo(401);
      assertThat(s.get("/agents", hs("alice", "teams:read")).statusCode()).isEqualTo(403);
      assertThat(s.get("/agents", hs("alice", "agents:read")).bodyAsString()).contains("\"id\":\"assistant\"");
      assertThat(s.get("/info").bodyAsJsonObject().getString("os_id")).isEqualTo("basic-symmetric");
    }
  }

  @Test
  @DisplayName("basic-asymmetric: the key pair's RS256 tokens pass; HS256 with the public key as secret does not")
  void basicAsymmetric(@TempDir Path dir) throws Exception {
    var pair = TokenSigner.generate("RS256");
    Path pub = dir.resolve("public.pem");
    Files.writeString(pub, TokenSigner.pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    try (TestServer s = TestServer.startFromFile("conf/examples/basic-asymmetric.yaml", env("file:" + pub))) {
      String good = TokenSigner.sign("RS256", pair.getPrivate(), Optional.empty(), Tokens.claims("alice", "agents:read"));
      assertThat(s.get("/agents", good).statusCode()).isEqualTo(200);
      String confused = TokenSigner.sign("HS256", TokenSigner.hmacKey(Files.readString(pub)), Optional.empty(),
          Tokens.claims("mallory", "agent_os:admin"));
      assertThat(s.get("/agents", confused).statusCode()).isEqualTo(401);
      String otherKey = TokenSigner.sign("RS256", TokenSigner.generate("RS256").getPrivate(), Optional.empty(),
          Tokens.claims("mallory", "agent_os:admin"));
      assertThat(s.get("/agents", otherKey).statusCode()).isEqualTo(401);
    }
  }

  @Test
  @DisplayName("per-agent-permissions: a web-agent token passes for web-agent only; run reading needs read and run")
  void perAgent() throws Exception {
    try (TestServer s = TestServer.startFromFile("conf/examples/per-agent-permissions.yaml", env(SECRET))) {
      String webAgent = hs("alice", "agents:web-agent:read", "agents:web-agent:run");
      assertThat(s.get("/agents", webAgent).bodyAsString()).contains("web-agent").doesNotContain("finance-agent");
      assertThat(s.get("/agents/web-agent", webAgent).statusCode()).isEqualTo(200);
      assertThat(s.get("/agents/finance-agent", webAgent).statusCode()).isEqualTo(403);
      var ran = runAgent(s, webAgent, "web-agent");
      assertThat(ran.statusCode()).isEqualTo(200);
      String session = ran.bodyAsJsonObject().getString("session_id");
      assertThat(runAgent(s, webAgent, "finance-agent").statusCode()).isEqualTo(403);
      assertThat(s.get("/agents/web-agent/runs?session_id=" + session, webAgent).statusCode()).isEqualTo(200);
      String readOnly = hs("bob", "agents:web-agent:read");
      var denied = s.get("/agents/web-agent/runs?session_id=" + session, readOnly);
      assertThat(denied.statusCode()).isEqualTo(403);
      assertThat(denied.bodyAsJsonObject().getString("detail")).isEqualTo("Access denied to run this agent");
      String anyAgent = hs("carol", "agents:*:run", "agents:read");
      assertThat(runAgent(s, anyAgent, "finance-agent").statusCode()).isEqualTo(200);
    }
  }

  private static io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> runAgent(TestServer s, String token, String agent)
      throws Exception {
    return s.request(io.vertx.core.http.HttpMethod.POST, "/agents/" + agent + "/runs").putHeader("Authorization", "Bearer " + token)
        .sendForm(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("message", "hi").add("stream", "false"))
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("per-user-isolation: a user's runs land in sessions only that user can see; an admin sees all")
  void perUserData() throws Exception {
    try (TestServer s = TestServer.startFromFile("conf/examples/per-user-isolation.yaml", env(SECRET))) {
      String alice = hs("alice", "agents:assistant:run", "sessions:read");
      String bob = hs("bob", "agents:assistant:run", "sessions:read");
      String session = runAgent(s, alice, "assistant").bodyAsJsonObject().getString("session_id");
      assertThat(s.get("/sessions/" + session, alice).statusCode()).isEqualTo(200);
      assertThat(s.get("/sessions/" + session, bob).statusCode()).isEqualTo(404);
      assertThat(s.get("/sessions", bob).bodyAsJsonObject().getJsonObject("meta").getLong("total_count")).isZero();
      assertThat(s.get("/sessions/" + session, hs("root", "agent_os:admin")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("per-user-isolation: a user's decisions are scoped to its sub; an admin's are not")
  void perUser() throws Exception {
    try (TestServer s = TestServer.startFromFile("conf/examples/per-user-isolation.yaml", env(SECRET))) {
      PolicyClient policy = new PolicyClient(s.vertx(), 2_000);
      Principal alice = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("sessions:read"), List.of(),
          Optional.empty(), new JsonObject(), 0);
      Principal admin = new Principal(Principal.Kind.JWT, Optional.of("root"), List.of("agent_os:admin"), List.of(),
          Optional.empty(), new JsonObject(), 0);
      Decision forAlice = policy.authorize(alice, "GET", "/sessions").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      Decision forAdmin = policy.authorize(admin, "GET", "/sessions").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(forAlice.scopedUserId()).contains("alice");
      assertThat(forAdmin.scopedUserId()).isEmpty();
      assertThat(forAdmin.admin()).isTrue();
    }
  }
}
