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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Service accounts as actors (docs/authorization.md, "Delegation"): an agent's account acts for a user
 * ({@code X-Acting-For}) only if it was minted to ({@code acts_for_users}, by an admin) and that user consented, and then
 * only with what both may do; a leaked credential cannot act for anyone who did not consent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Consent: a service account acts only for users who granted it")
class ConsentTest {
  private static final String ADMIN = Tokens.admin();
  private static final String ALICE = Tokens.hs256("alice");
  private static final String BOB = Tokens.hs256("bob");
  private TestDatabase db;
  private TestServer s;
  private String helper;
  private String helperId;
  private String plain;

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject()
        .put("agents", new JsonArray().add(new JsonObject().put("id", "support-bot").put("model", new JsonObject().put("provider", "echo"))))
        .put("authorization", new JsonObject().put("user_isolation", true)));
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/customer", ADMIN, new JsonObject().put("scopes", new JsonArray()
        .add("sessions:read").add("sessions:write").add("agents:read").add("agents:run"))).statusCode()).isEqualTo(200);
    for (String user : List.of("alice", "bob")) {
      assertThat(call(s, HttpMethod.PUT, "/authz/subjects/" + user + "/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("customer")))
          .statusCode()).isEqualTo(200);
    }
    awaitStatus("/sessions", ALICE, null, 200);
    for (String user : List.of("alice", "bob")) {
      assertThat(call(s, HttpMethod.POST, "/sessions?type=agent", Tokens.hs256(user), new JsonObject().put("session_id", "s-" + user)
          .put("agent_id", "support-bot")).statusCode()).isEqualTo(201);
    }
    JsonObject minted = mint(ADMIN, new JsonObject().put("name", "helper").put("scopes", new JsonArray().add("sessions:read").add("agents:read"))
        .put("acts_for_users", true));
    assertThat(minted.getBoolean("acts_for_users")).isTrue();
    helper = minted.getString("token");
    helperId = minted.getString("id");
    plain = mint(ADMIN, new JsonObject().put("name", "plain").put("scopes", new JsonArray().add("sessions:read"))).getString("token");
    // the mint of an acting account is announced: wait until every policy instance knows it
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    int inARow = 0;
    while (inARow < 8 && System.nanoTime() < deadline) {
      String detail = as(helper, "nobody-yet", HttpMethod.GET, "/sessions").bodyAsJsonObject().getString("detail", "");
      inARow = detail.contains("has not consented") ? inARow + 1 : 0;
    }
  }

  @AfterAll
  void stop() throws Exception {
    s.close();
    db.close();
  }

  private JsonObject mint(String token, JsonObject body) {
    HttpResponse<Buffer> r = call(s, HttpMethod.POST, "/service-accounts", token, body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject();
  }

  private HttpResponse<Buffer> as(String token, String actingFor, HttpMethod method, String path) {
    var req = s.request(method, path).putHeader("Authorization", "Bearer " + token);
    if (actingFor != null) req.putHeader("X-Acting-For", actingFor);
    return TestServer.send(req);
  }

  /** Until {@code status} is the answer eight times in a row (every policy instance has reloaded), at most a second. */
  private HttpResponse<Buffer> awaitStatus(String path, String token, String actingFor, int status) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    HttpResponse<Buffer> last = as(token, actingFor, HttpMethod.GET, path);
    int inARow = last.statusCode() == status ? 1 : 0;
    while (inARow < 8 && System.nanoTime() < deadline) {
      last = as(token, actingFor, HttpMethod.GET, path);
      inARow = last.statusCode() == status ? inARow + 1 : 0;
    }
    return last;
  }

  private HttpResponse<Buffer> consent(String token, HttpMethod method, String actor) {
    return call(s, method, "/authz/consents/" + actor, token, null);
  }

  @Test
  @DisplayName("without consent the account cannot act for a user, whatever it holds: the leaked credential case")
  void noConsentNoActing() {
    HttpResponse<Buffer> r = as(helper, "bob", HttpMethod.GET, "/sessions");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("'bob' has not consented to 'sa:helper' acting for them");
  }

  @Test
  @DisplayName("once the user consents, the account acts for them: the user's data, what both may do; withdrawn, it stops within a second")
  void consentThenActThenWithdraw() {
    HttpResponse<Buffer> granted = consent(ALICE, HttpMethod.PUT, "sa:helper");
    assertThat(granted.statusCode()).as(granted.bodyAsString()).isEqualTo(200);
    assertThat(granted.bodyAsJsonObject().getJsonArray("consents").getJsonObject(0).getString("actor")).isEqualTo("sa:helper");
    HttpResponse<Buffer> sessions = awaitStatus("/sessions", helper, "alice", 200);
    assertThat(sessions.statusCode()).isEqualTo(200);
    assertThat(sessions.bodyAsJsonObject().getJsonArray("data").stream().map(x -> ((JsonObject) x).getString("session_id")))
        .as("alice's, not bob's, not the account's").containsExactly("s-alice");
    assertThat(as(helper, "alice", HttpMethod.GET, "/sessions/s-bob").statusCode()).isEqualTo(404);
    // alice may run agents, the account may not: the intersection
    HttpResponse<Buffer> run = as(helper, "alice", HttpMethod.POST, "/agents/support-bot/runs");
    assertThat(run.statusCode()).isEqualTo(403);
    assertThat(run.bodyAsJsonObject().getString("detail")).startsWith("Actor 'sa:helper' may not do this for the user");
    assertThat(as(helper, "bob", HttpMethod.GET, "/sessions").statusCode()).as("bob still did not consent").isEqualTo(403);
    assertThat(call(s, HttpMethod.GET, "/authz/consents", ALICE, null).bodyAsJsonObject().getJsonArray("consents").stream()
        .map(c -> ((JsonObject) c).getString("actor"))).contains("sa:helper");

    assertThat(consent(ALICE, HttpMethod.DELETE, "sa:helper").statusCode()).isEqualTo(200);
    assertThat(awaitStatus("/sessions", helper, "alice", 403).statusCode()).isEqualTo(403);
    JsonArray audit = call(s, HttpMethod.GET, "/authz/audit", ADMIN, null).bodyAsJsonObject().getJsonArray("data");
    assertThat(audit.stream().map(e -> ((JsonObject) e).getString("action") + " " + ((JsonObject) e).getString("actor")))
        .contains("consent.granted alice", "consent.withdrawn alice");
  }

  @Test
  @DisplayName("an account not minted to act for users never does, and cannot be consented to (404)")
  void onlyAccountsMintedToAct() {
    HttpResponse<Buffer> r = as(plain, "alice", HttpMethod.GET, "/sessions");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("detail")).startsWith("Service account 'sa:plain' may not act for users");
    assertThat(consent(ALICE, HttpMethod.PUT, "sa:plain").statusCode()).isEqualTo(404);
    assertThat(consent(ALICE, HttpMethod.PUT, "sa:nobody").statusCode()).isEqualTo(404);
    assertThat(consent(ALICE, HttpMethod.PUT, "alice").statusCode()).isEqualTo(422);
    HttpResponse<Buffer> byNonAdmin = call(s, HttpMethod.POST, "/service-accounts", Tokens.hs256("carol", "service_accounts:write",
        "sessions:read"), new JsonObject().put("name", "sneaky").put("scopes", new JsonArray().add("sessions:read")).put("acts_for_users", true));
    assertThat(byNonAdmin.statusCode()).isEqualTo(403);
    assertThat(byNonAdmin.bodyAsJsonObject().getString("detail")).isEqualTo("Only an admin can mint a service account that acts for users");
  }

  @Test
  @DisplayName("only a user consents, for themselves, with their own token: not an account, not through an actor")
  void onlyTheUserConsents() {
    assertThat(consent(helper, HttpMethod.PUT, "sa:helper").statusCode()).isEqualTo(403);
    String aliceViaAgent = Tokens.hs256(Tokens.claims("alice").put("act", new JsonObject().put("sub", "some-agent")));
    assertThat(consent(aliceViaAgent, HttpMethod.PUT, "sa:helper").statusCode()).isEqualTo(403);
    var represented = s.request(HttpMethod.PUT, "/authz/consents/sa:helper").putHeader("Authorization", "Bearer " + helper)
        .putHeader("X-Acting-For", "bob");
    assertThat(TestServer.send(represented).statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("X-Acting-For: with a user's token 400, malformed or repeated 401")
  void headerRules() {
    assertThat(as(ALICE, "bob", HttpMethod.GET, "/sessions").statusCode()).isEqualTo(400);
    for (String bad : List.of("", "sa:helper", "x".repeat(257))) {
      HttpResponse<Buffer> r = as(helper, bad, HttpMethod.GET, "/sessions");
      assertThat(r.statusCode()).as("[" + bad + "] " + r.bodyAsString()).isEqualTo(401);
    }
    var twice = s.request(HttpMethod.GET, "/sessions").putHeader("Authorization", "Bearer " + helper).putHeader("X-Acting-For",
        List.of("alice", "bob"));
    assertThat(TestServer.send(twice).statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("the account acting for a disabled user is refused with 401, as the user is")
  void disabledSubject() {
    consent(Tokens.hs256("dora"), HttpMethod.PUT, "sa:helper");
    call(s, HttpMethod.PUT, "/authz/subjects/dora/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("customer")));
    assertThat(awaitStatus("/sessions", helper, "dora", 200).statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.PATCH, "/users/dora", ADMIN, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> r = awaitStatus("/sessions", helper, "dora", 401);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("User is disabled");
  }

  @Test
  @DisplayName("a revoked account stops acting at once")
  void revokedAccount() {
    JsonObject other = mint(ADMIN, new JsonObject().put("name", "short-lived").put("scopes", new JsonArray().add("sessions:read"))
        .put("acts_for_users", true));
    consent(ALICE, HttpMethod.PUT, "sa:short-lived");
    assertThat(awaitStatus("/sessions", other.getString("token"), "alice", 200).statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.DELETE, "/service-accounts/" + other.getString("id"), ADMIN, null).statusCode()).isIn(200, 204);
    assertThat(awaitStatus("/sessions", other.getString("token"), "alice", 401).statusCode()).isEqualTo(401);
    assertThat(helperId).isNotBlank();
  }

  @Test
  @DisplayName("an account acting for a user cannot mint service accounts: one minted so would answer to nobody")
  void noMintingThroughAnActor() {
    consent(ALICE, HttpMethod.PUT, "sa:helper");
    awaitStatus("/sessions", helper, "alice", 200);
    var mint = s.request(HttpMethod.POST, "/service-accounts").putHeader("Authorization", "Bearer " + helper).putHeader("X-Acting-For", "alice")
        .putHeader("Content-Type", "application/json");
    HttpResponse<Buffer> r = TestServer.send(mint, Buffer.buffer(new JsonObject().put("name", "laundered").put("scopes",
        new JsonArray().add("sessions:read")).encode()));
    assertThat(r.statusCode()).isEqualTo(403);
  }
}
