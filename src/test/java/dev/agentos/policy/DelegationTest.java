package dev.agentos.policy;

import static dev.agentos.testing.TestServer.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RFC 8693 delegation (docs/authorization.md, "Delegation"): alice, a support agent acting for her, and a tool service
 * the agent calls. A delegated request needs the subject and every registered actor.
 */
@DisplayName("Delegation: a token's act chain is decided on the subject and every actor")
class DelegationTest {
  private static TestDatabase db;
  private static TestServer s;

  private static JsonObject config() {
    return new JsonObject()
        .put("agents", new JsonArray().add(new JsonObject().put("id", "support-bot").put("model", new JsonObject().put("provider", "echo")))
            .add(new JsonObject().put("id", "billing-bot").put("model", new JsonObject().put("provider", "echo"))))
        .put("teams", new JsonArray().add(new JsonObject().put("id", "desk").put("mode", "coordinate")
            .put("members", new JsonArray().add("support-bot").add("billing-bot"))))
        .put("authorization", new JsonObject().put("user_isolation", true).put("max_delegation_depth", 2)
            .put("actors", new JsonObject()
                .put("support-agent", new JsonObject().put("scopes", new JsonArray().add("sessions:read").add("agents:read")
                    .add("agents:support-bot:run").add("agent_os:admin")))
                .put("tool-service", new JsonObject().put("scopes", new JsonArray().add("sessions:read")).put("max_chain", 2))
                .put("solo-only", new JsonObject().put("scopes", new JsonArray().add("sessions:read")).put("max_chain", 1))
                .put("desk-agent", new JsonObject().put("scopes", new JsonArray().add("teams:desk:run").add("agents:support-bot:run")))));
  }

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, config());
    // alice and bob each have a session (alice's own token)
    for (String user : List.of("alice", "bob")) {
      assertThat(call(s, HttpMethod.POST, "/sessions?type=agent", Tokens.hs256(user, "sessions:write"), new JsonObject()
          .put("session_id", "s-" + user).put("agent_id", "support-bot")).statusCode()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  /** alice's token, with {@code actors} as a nested act chain (the current actor first). */
  private static String delegated(String sub, List<String> scopes, String... actors) {
    JsonObject claims = Tokens.claims(sub, scopes.toArray(new String[0]));
    JsonObject act = null;
    for (int i = actors.length - 1; i >= 0; i--) {
      JsonObject next = new JsonObject().put("sub", actors[i]);
      if (act != null) next.put("act", act);
      act = next;
    }
    if (act != null) claims.put("act", act);
    return Tokens.hs256(claims);
  }

  private static final List<String> ALICE = List.of("sessions:read", "sessions:write", "sessions:delete", "agents:read", "agents:run",
      "metrics:read");

  private static HttpResponse<Buffer> send(HttpMethod method, String path, String token) {
    return TestServer.send(s.request(method, path).putHeader("Authorization", "Bearer " + token));
  }

  @ParameterizedTest(name = "{0} {1} by alice through [{2}]: {3}")
  @CsvSource(delimiter = '|', value = {
      "GET    | /sessions                  | support-agent              | 200",
      "GET    | /sessions                  | support-agent tool-service | 200",
      "DELETE | /sessions/s-alice          | tool-service               | 403",
      "GET    | /metrics                   | tool-service               | 403",
      "GET    | /metrics                   | support-agent              | 200",
      "GET    | /agents/support-bot        | support-agent              | 200",
      "GET    | /agents/support-bot        | support-agent tool-service | 403",
      "GET    | /metrics                   | unregistered-bot           | 200"})
  @DisplayName("the intersection: allowed only if alice and every registered actor may (an unregistered actor limits nothing)")
  void intersection(String method, String path, String actors, int status) {
    HttpResponse<Buffer> r = send(HttpMethod.valueOf(method), path, delegated("alice", ALICE, actors.split(" ")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
  }

  @Test
  @DisplayName("a denial names the party that lacked what")
  void denialSaysWho() {
    HttpResponse<Buffer> r = send(HttpMethod.DELETE, "/sessions/s-alice", delegated("alice", ALICE, "tool-service"));
    assertThat(r.bodyAsJsonObject().getString("detail"))
        .isEqualTo("Actor 'tool-service' may not do this for the user: Insufficient permissions. Required scope(s): sessions:delete");
    HttpResponse<Buffer> subject = send(HttpMethod.GET, "/traces", delegated("alice", ALICE, "support-agent"));
    assertThat(subject.statusCode()).isEqualTo(403);
    assertThat(subject.bodyAsJsonObject().getString("detail")).as("alice lacks it herself").isEqualTo("Insufficient permissions. Required scope(s): traces:read");
  }

  @Test
  @DisplayName("the actor's admin scope never widens the subject: an admin actor for alice sees alice's data only")
  void actorAdminDoesNotWiden() {
    String viaAgent = delegated("alice", ALICE, "support-agent");
    JsonArray sessions = send(HttpMethod.GET, "/sessions", viaAgent).bodyAsJsonObject().getJsonArray("data");
    assertThat(sessions.stream().map(x -> ((JsonObject) x).getString("session_id"))).containsExactly("s-alice");
    assertThat(send(HttpMethod.GET, "/sessions/s-bob", viaAgent).statusCode()).isEqualTo(404);
    assertThat(send(HttpMethod.GET, "/authz/roles", viaAgent).statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("an admin subject acting through a non-admin actor is isolated like any user: the actor is no admin")
  void adminSubjectThroughActor() {
    String rootViaTool = delegated("root", List.of("agent_os:admin"), "tool-service");
    JsonArray sessions = send(HttpMethod.GET, "/sessions", rootViaTool).bodyAsJsonObject().getJsonArray("data");
    assertThat(sessions).as("root's own sessions only: none").isEmpty();
    assertThat(send(HttpMethod.GET, "/sessions", Tokens.hs256("root", "agent_os:admin")).bodyAsJsonObject().getJsonArray("data"))
        .as("root alone is an admin").hasSize(2);
  }

  @Test
  @DisplayName("listings are filtered by both: the agents list holds what alice and the actor may both see")
  void listingIntersection() {
    JsonArray agents = send(HttpMethod.GET, "/agents", delegated("alice", List.of("agents:read"), "support-agent")).bodyAsJsonArray();
    assertThat(agents.stream().map(a -> ((JsonObject) a).getString("id"))).containsExactlyInAnyOrder("support-bot", "billing-bot");
    HttpResponse<Buffer> narrow = send(HttpMethod.GET, "/agents", delegated("alice", List.of("agents:support-bot:read", "agents:billing-bot:read"),
        "support-agent"));
    assertThat(narrow.bodyAsJsonArray().stream().map(a -> ((JsonObject) a).getString("id"))).containsExactlyInAnyOrder("support-bot", "billing-bot");
  }

  @ParameterizedTest(name = "[{0}] → {1}")
  @CsvSource(delimiter = '|', value = {
      "support-agent tool-service solo-only | Delegation chain of 3 actors is longer than authorization.max_delegation_depth (2)",
      "alice                                | An actor cannot be the subject it acts for ('alice')",
      "tool-service tool-service            | The delegation chain has a cycle: 'tool-service' acts twice",
      "support-agent solo-only              | Actor 'solo-only' may act only in chains of at most 1"})
  @DisplayName("chains too long, with a cycle, naming the subject as an actor, or past an actor's max_chain: 403 saying so")
  void chainLimits(String actors, String detail) {
    HttpResponse<Buffer> r = send(HttpMethod.GET, "/sessions", delegated("alice", ALICE, actors.split(" ")));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo(detail);
    assertThat(r.getHeader("X-Decision-Id")).isNotBlank();
  }

  @Test
  @DisplayName("a malformed act claim makes the token invalid (401): a chain read in part would decide on fewer parties")
  void malformedAct() {
    for (Object act : List.of("support-agent", new JsonObject(), new JsonObject().put("sub", 7),
        new JsonObject().put("sub", "a").put("act", "b"), new JsonObject().put("sub", "a").put("client_id", 1))) {
      String token = Tokens.hs256(Tokens.claims("alice", "sessions:read").put("act", act));
      assertThat(send(HttpMethod.GET, "/sessions", token).statusCode()).as(String.valueOf(act)).isEqualTo(401);
    }
    JsonObject deep = new JsonObject().put("sub", "a0");
    for (int i = 1; i <= 20; i++) deep = new JsonObject().put("sub", "a" + i).put("act", deep);
    assertThat(send(HttpMethod.GET, "/sessions", Tokens.hs256(Tokens.claims("alice", "sessions:read").put("act", deep))).statusCode())
        .isEqualTo(401);
  }

  @Test
  @DisplayName("the what-if check takes a chain and its reasons name each party")
  void whatIfWithChain() {
    HttpResponse<Buffer> r = call(s, HttpMethod.POST, "/authz/check", Tokens.admin(), new JsonObject().put("method", "DELETE")
        .put("path", "/sessions/s-alice").put("principal", new JsonObject().put("user_id", "alice").put("scopes", new JsonArray(ALICE))
            .put("actors", new JsonArray().add(new JsonObject().put("sub", "tool-service")))));
    JsonObject d = r.bodyAsJsonObject();
    assertThat(d.getBoolean("allowed")).isFalse();
    assertThat(d.getJsonArray("reasons").getString(0)).startsWith("subject 'alice': ");
    assertThat(d.getJsonArray("reasons").getString(1)).startsWith("actor 'tool-service': ").contains("sessions:delete");
    assertThat(call(s, HttpMethod.POST, "/authz/check", Tokens.admin(), new JsonObject().put("method", "GET").put("path", "/sessions")
        .put("principal", new JsonObject().put("user_id", "alice").put("actors", new JsonArray().add("bad")))).statusCode()).isEqualTo(422);
  }

  @Test
  @DisplayName("the decision records name the chain each decision was made on, the current actor first")
  void recordsNameTheChain() throws Exception {
    assertThat(send(HttpMethod.GET, "/sessions/chain-probe", delegated("alice", ALICE, "support-agent", "tool-service"))
        .statusCode()).as("allowed, and no such session").isEqualTo(404);
    JsonArray data = new JsonArray();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      data = send(HttpMethod.GET, "/authz/decisions?subject=alice&path=/sessions/chain-probe", Tokens.admin()).bodyAsJsonObject()
          .getJsonArray("data");
      if (data.stream().anyMatch(d -> !((JsonObject) d).getJsonArray("actors").isEmpty())) break;
      Thread.sleep(100);
    }
    JsonObject record = data.stream().map(JsonObject.class::cast).filter(d -> !d.getJsonArray("actors").isEmpty()).findFirst().orElseThrow();
    assertThat(record.getJsonArray("actors")).containsExactly("support-agent", "tool-service");
    assertThat(record.getString("subject")).isEqualTo("alice");
  }

  @Test
  @DisplayName("a run made through an actor stores the user as its owner and the chain with the run and on its trace")
  void runCarriesTheChain() {
    HttpResponse<Buffer> r = TestServer.send(s.request(HttpMethod.POST, "/agents/support-bot/runs")
        .putHeader("Authorization", "Bearer " + delegated("alice", ALICE, "support-agent"))
        .putHeader("Content-Type", "application/x-www-form-urlencoded"), Buffer.buffer("message=help&stream=false&session_id=s-alice"));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject run = r.bodyAsJsonObject();
    assertThat(run.getString("user_id")).isEqualTo("alice");
    assertThat(run.getJsonObject("run_input").getJsonArray("actors")).containsExactly(new JsonObject().put("sub", "support-agent"));
    JsonObject traces = send(HttpMethod.GET, "/traces?run_id=" + run.getString("run_id"), Tokens.admin()).bodyAsJsonObject();
    String traceId = traces.getJsonArray("data").getJsonObject(0).getString("trace_id");
    JsonObject trace = send(HttpMethod.GET, "/traces/" + traceId, Tokens.admin()).bodyAsJsonObject();
    JsonObject root = trace.getJsonArray("tree").getJsonObject(0);
    assertThat(root.getJsonObject("metadata").getString("agentos.subject")).isEqualTo("alice");
    assertThat(root.getJsonObject("metadata").getJsonArray("agentos.actors")).containsExactly(new JsonObject().put("sub", "support-agent"));
  }

  @Test
  @DisplayName("team runs, agno's way (team_member_runs: team): run access to the team suffices")
  void teamModeRunsMembersInTheTeamsName() {
    HttpResponse<Buffer> r = TestServer.send(s.request(HttpMethod.POST, "/teams/desk/runs")
        .putHeader("Authorization", "Bearer " + Tokens.hs256("carol", "teams:desk:run"))
        .putHeader("Content-Type", "application/x-www-form-urlencoded"), Buffer.buffer("message=hi&stream=false"));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  @Test
  @DisplayName("team runs, strict (team_member_runs: strict): the caller, and every actor, must be able to run each member")
  void strictTeamMembers() throws Exception {
    TestDatabase strictDb = TestDatabase.create();
    JsonObject conf = config();
    conf.getJsonObject("authorization").put("team_member_runs", "strict");
    try (AutoCloseable closing = strictDb; TestServer strict = TestServer.start(strictDb, conf)) {
      java.util.function.BiFunction<String, String, HttpResponse<Buffer>> runDesk = (token, session) -> TestServer.send(
          strict.request(HttpMethod.POST, "/teams/desk/runs").putHeader("Authorization", "Bearer " + token)
              .putHeader("Content-Type", "application/x-www-form-urlencoded"), Buffer.buffer("message=hi&stream=false&session_id=" + session));
      HttpResponse<Buffer> teamOnly = runDesk.apply(Tokens.hs256("carol", "teams:desk:run"), "c1");
      assertThat(teamOnly.statusCode()).isEqualTo(403);
      assertThat(teamOnly.bodyAsJsonObject().getString("detail")).isEqualTo("Running team 'desk' needs run access to its agent 'support-bot'");
      HttpResponse<Buffer> oneMember = runDesk.apply(Tokens.hs256("carol", "teams:desk:run", "agents:support-bot:run"), "c2");
      assertThat(oneMember.bodyAsJsonObject().getString("detail")).isEqualTo("Running team 'desk' needs run access to its agent 'billing-bot'");
      assertThat(runDesk.apply(Tokens.hs256("carol", "teams:desk:run", "agents:support-bot:run", "agents:billing-bot:run"), "c3").statusCode())
          .isEqualTo(200);
      // through an agent that may run the team and support-bot only: the billing member is refused for the chain
      HttpResponse<Buffer> viaAgent = runDesk.apply(delegated("alice", List.of("teams:run", "agents:run"), "desk-agent"), "a1");
      assertThat(viaAgent.statusCode()).isEqualTo(403);
      assertThat(viaAgent.bodyAsJsonObject().getString("detail")).isEqualTo("Running team 'desk' needs run access to its agent 'billing-bot'");
    }
  }

  @Test
  @DisplayName("a change made through an actor is audited with its chain: the actor column is the subject, actors the chain")
  void auditNamesTheChain() {
    String rootViaAgent = delegated("root", List.of("agent_os:admin"), "support-agent");
    HttpResponse<Buffer> put = call(s, HttpMethod.PUT, "/authz/roles/chain-audited", rootViaAgent,
        new JsonObject().put("scopes", new JsonArray().add("sessions:read")));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    JsonObject row = send(HttpMethod.GET, "/authz/audit", Tokens.admin()).bodyAsJsonObject().getJsonArray("data").stream()
        .map(JsonObject.class::cast).filter(r -> "role:chain-audited".equals(r.getString("target"))).findFirst().orElseThrow();
    assertThat(row.getString("actor")).isEqualTo("root");
    assertThat(row.getJsonArray("actors")).containsExactly("support-agent");
  }

  @Test
  @DisplayName("a disabled user in the chain stops the request with 401, registered as an actor or not")
  void disabledActor() {
    assertThat(send(HttpMethod.GET, "/sessions", delegated("alice", ALICE, "gone-agent")).statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.PATCH, "/users/gone-agent", Tokens.admin(), new JsonObject().put("disabled", true)).statusCode()).isEqualTo(200);
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    HttpResponse<Buffer> r = send(HttpMethod.GET, "/sessions", delegated("alice", ALICE, "gone-agent"));
    while (r.statusCode() != 401 && System.nanoTime() < deadline) r = send(HttpMethod.GET, "/sessions", delegated("alice", ALICE, "gone-agent"));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Actor 'gone-agent' is disabled");
  }
}
