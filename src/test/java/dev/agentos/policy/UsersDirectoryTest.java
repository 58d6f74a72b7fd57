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
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Users directory (/users): just-in-time provisioning, the disabled kill switch, the default role")
class UsersDirectoryTest {
  private static final String ADMIN = Tokens.admin();
  private TestDatabase db;
  private TestServer s;

  /** A configured role as the default: a new user can read metrics from their first request on. */
  private static JsonObject config() {
    return new JsonObject().put("authorization", new JsonObject().put("default_role", "starter")
        .put("roles", new JsonObject().put("starter", new JsonObject().put("scopes", new JsonArray().add("metrics:read")))));
  }

  @BeforeEach
  void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, config());
  }

  @AfterEach
  void stop() throws Exception {
    s.close();
    db.close();
  }

  private HttpResponse<Buffer> get(String path, String token) {
    return s.get(path, token);
  }

  private HttpResponse<Buffer> patch(String sub, String token, JsonObject body) {
    return call(s, HttpMethod.PATCH, "/users/" + sub, token, body);
  }

  /** Polls a GET until its response satisfies {@code done} (at most {@code ms}); returns the last response. */
  private HttpResponse<Buffer> await(String path, String token, Predicate<HttpResponse<Buffer>> done, long ms) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    HttpResponse<Buffer> last = get(path, token);
    while (!done.test(last) && System.nanoTime() < deadline) last = get(path, token);
    return last;
  }

  /**
   * Polls until {@code status} is the answer eight times in a row (at most a second): every policy instance of the node
   * reloads on a change notice, and until the last one has, requests it answers see the directory before the change.
   */
  private HttpResponse<Buffer> awaitStatus(String path, String token, int status) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    HttpResponse<Buffer> last = get(path, token);
    int inARow = last.statusCode() == status ? 1 : 0;
    while (inARow < 8 && System.nanoTime() < deadline) {
      last = get(path, token);
      inARow = last.statusCode() == status ? inARow + 1 : 0;
    }
    return last;
  }

  @Test
  @DisplayName("a user is added on their first authenticated request, with the token's email and name, and the default role")
  void firstRequestProvisions() {
    String ann = Tokens.hs256(Tokens.claims("ann").put("email", "ann@example.com").put("name", "Ann\u0007 Lee"));
    assertThat(get("/users/ann", ADMIN).statusCode()).isEqualTo(404);
    assertThat(get("/metrics", ann).statusCode()).as("the default role holds from the first request").isEqualTo(200);
    HttpResponse<Buffer> user = await("/users/ann", ADMIN, r -> r.statusCode() == 200 && !r.bodyAsJsonObject().getJsonArray("roles").isEmpty(), 5000);
    assertThat(user.statusCode()).isEqualTo(200);
    JsonObject body = user.bodyAsJsonObject();
    assertThat(body.getString("id")).isEqualTo("ann");
    assertThat(body.getString("email")).isEqualTo("ann@example.com");
    assertThat(body.getString("name")).as("control characters are stripped").isEqualTo("Ann Lee");
    assertThat(body.getString("status")).isEqualTo("active");
    assertThat(body.getBoolean("disabled")).isFalse();
    assertThat(body.getString("provisioned_by")).isEqualTo("jit");
    assertThat(body.getJsonArray("roles")).containsExactly("starter");
    assertThat(get("/authz/subjects/ann/roles", ADMIN).bodyAsJsonObject().getJsonArray("roles")).containsExactly("starter");
    JsonArray audit = get("/authz/audit", ADMIN).bodyAsJsonObject().getJsonArray("data");
    assertThat(audit.stream().map(e -> ((JsonObject) e).getString("action") + " " + ((JsonObject) e).getString("actor")))
        .contains("user.created system:jit", "subject.roles system:jit");
  }

  @Test
  @DisplayName("the default role is an ordinary assignment: once an admin takes it away it does not come back")
  void defaultRoleIsGivenOnce() {
    String bo = Tokens.hs256("bo");
    assertThat(get("/metrics", bo).statusCode()).isEqualTo(200);
    assertThat(await("/authz/subjects/bo/roles", ADMIN, r -> !r.bodyAsJsonObject().getJsonArray("roles").isEmpty(), 5000)
        .bodyAsJsonObject().getJsonArray("roles")).containsExactly("starter");
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/bo/roles", ADMIN, new JsonObject().put("roles", new JsonArray())).statusCode())
        .isEqualTo(200);
    assertThat(awaitStatus("/metrics", bo, 403).statusCode()).isEqualTo(403);
    for (int i = 0; i < 5; i++) assertThat(get("/metrics", bo).statusCode()).as("the default role does not come back").isEqualTo(403);
    assertThat(get("/authz/subjects/bo/roles", ADMIN).bodyAsJsonObject().getJsonArray("roles")).isEmpty();
  }

  @Test
  @DisplayName("a subject given roles by an admin before their first request never gets the default role")
  void preassignedSubjectKeepsItsRoles() {
    call(s, HttpMethod.PUT, "/authz/roles/tracer", ADMIN, new JsonObject().put("scopes", new JsonArray().add("traces:read")));
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/cy/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("tracer")))
        .statusCode()).isEqualTo(200);
    String cy = Tokens.hs256("cy");
    assertThat(awaitStatus("/traces", cy, 200).statusCode()).isEqualTo(200);
    assertThat(awaitStatus("/metrics", cy, 403).statusCode()).isEqualTo(403);
    assertThat(await("/users/cy", ADMIN, r -> r.statusCode() == 200, 5000).bodyAsJsonObject().getJsonArray("roles"))
        .containsExactly("tracer");
  }

  @Test
  @DisplayName("a disabled user's valid token gets 401 'User is disabled' within one second; enabled again, it is honoured")
  void killSwitch() {
    String dee = Tokens.hs256("dee", "agents:read");
    assertThat(get("/agents", dee).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> disabled = patch("dee", ADMIN, new JsonObject().put("disabled", true));
    assertThat(disabled.statusCode()).as(disabled.bodyAsString()).isEqualTo(200);
    assertThat(disabled.bodyAsJsonObject().getString("status")).isEqualTo("disabled");
    long start = System.nanoTime();
    HttpResponse<Buffer> refused = awaitStatus("/agents", dee, 401);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
    assertThat(refused.bodyAsJsonObject().getString("detail")).isEqualTo("User is disabled");
    assertThat(refused.getHeader("WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
    assertThat(refused.getHeader("X-Decision-Id")).isNotBlank();
    // every route, the unmapped and the directory's own included
    for (String path : List.of("/sessions", "/config", "/users/dee", "/agents/assistant")) {
      assertThat(awaitStatus(path, dee, 401).statusCode()).as(path).isEqualTo(401);
    }
    assertThat(patch("dee", ADMIN, new JsonObject().put("disabled", false)).statusCode()).isEqualTo(200);
    assertThat(awaitStatus("/agents", dee, 200).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("disabling a user stops the service accounts they minted, and the accounts those minted; enabling restores them")
  void killSwitchReachesServiceAccounts() {
    String eve = Tokens.hs256("eve", "service_accounts:write", "metrics:read");
    HttpResponse<Buffer> parent = call(s, HttpMethod.POST, "/service-accounts", eve, new JsonObject().put("name", "eve-bot")
        .put("scopes", new JsonArray().add("service_accounts:write").add("metrics:read")).put("allow_privileged_scopes", true));
    assertThat(parent.statusCode()).as(parent.bodyAsString()).isEqualTo(201);
    String parentToken = parent.bodyAsJsonObject().getString("token");
    HttpResponse<Buffer> child = call(s, HttpMethod.POST, "/service-accounts", parentToken, new JsonObject().put("name", "eve-bot-child")
        .put("scopes", new JsonArray().add("metrics:read")));
    assertThat(child.statusCode()).as(child.bodyAsString()).isEqualTo(201);
    String childToken = child.bodyAsJsonObject().getString("token");
    assertThat(get("/metrics", parentToken).statusCode()).isEqualTo(200);
    assertThat(get("/metrics", childToken).statusCode()).isEqualTo(200);

    assertThat(patch("eve", ADMIN, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(200);
    for (String token : List.of(eve, parentToken, childToken)) {
      HttpResponse<Buffer> r = awaitStatus("/metrics", token, 401);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("User is disabled");
    }
    assertThat(patch("eve", ADMIN, new JsonObject().put("disabled", false)).statusCode()).isEqualTo(200);
    for (String token : List.of(eve, parentToken, childToken)) assertThat(awaitStatus("/metrics", token, 200).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a subject can be disabled before their first request: their first token is refused")
  void disableBeforeFirstRequest() {
    HttpResponse<Buffer> created = patch("fay", ADMIN, new JsonObject().put("disabled", true).put("email", "fay@example.com"));
    assertThat(created.statusCode()).isEqualTo(200);
    assertThat(created.bodyAsJsonObject().getString("provisioned_by")).isEqualTo("admin");
    assertThat(awaitStatus("/metrics", Tokens.hs256("fay"), 401).statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("GET /users pages, searches (literally), filters and sorts; /users/metrics counts")
  void listing() {
    for (String sub : List.of("u-ann", "u-bob", "u-cat", "x_1")) {
      assertThat(patch(sub, ADMIN, new JsonObject().put("email", sub + "@example.com")).statusCode()).isEqualTo(200);
    }
    patch("u-bob", ADMIN, new JsonObject().put("disabled", true));
    // the admin's own first request added it: five users
    await("/users/admin-user", ADMIN, r -> r.statusCode() == 200, 5000);
    JsonObject page = get("/users?sort_by=id&sort_order=asc&limit=2&page=2", ADMIN).bodyAsJsonObject();
    assertThat(page.getJsonObject("meta").getInteger("total_count")).isEqualTo(5);
    assertThat(page.getJsonObject("meta").getInteger("total_pages")).isEqualTo(3);
    assertThat(page.getJsonArray("data").stream().map(u -> ((JsonObject) u).getString("id"))).containsExactly("u-bob", "u-cat");
    assertThat(get("/users?search=U-C", ADMIN).bodyAsJsonObject().getJsonArray("data").stream()
        .map(u -> ((JsonObject) u).getString("id"))).containsExactly("u-cat");
    assertThat(get("/users?search=_", ADMIN).bodyAsJsonObject().getJsonArray("data").stream()
        .map(u -> ((JsonObject) u).getString("id"))).as("_ is a character, not a wildcard").containsExactly("x_1");
    assertThat(get("/users?search=%25", ADMIN).bodyAsJsonObject().getJsonArray("data")).as("nor is %").isEmpty();
    assertThat(get("/users?include_disabled=false", ADMIN).bodyAsJsonObject().getJsonObject("meta").getInteger("total_count")).isEqualTo(4);
    assertThat(get("/users?disabled=true", ADMIN).bodyAsJsonObject().getJsonArray("data").stream()
        .map(u -> ((JsonObject) u).getString("id"))).containsExactly("u-bob");
    JsonObject metrics = get("/users/metrics", ADMIN).bodyAsJsonObject();
    assertThat(metrics.getLong("total_users")).isEqualTo(5);
    assertThat(metrics.getLong("disabled_users")).isEqualTo(1);
    assertThat(metrics.getLong("active_users")).isEqualTo(4);
    assertThat(metrics.getJsonObject("provisioned").getLong("admin")).isEqualTo(4);
    assertThat(metrics.getJsonObject("provisioned").getLong("jit")).isEqualTo(1);
    assertThat(metrics.getJsonObject("new_users").getLong("last_1d")).isEqualTo(5);
    for (String bad : List.of("sort_by=password", "sort_order=up", "limit=0", "limit=101", "page=x", "disabled=maybe",
        "include_disabled=false&disabled=true")) {
      assertThat(get("/users?" + bad, ADMIN).statusCode()).as(bad).isEqualTo(422);
    }
  }

  @Test
  @DisplayName("users:read reads the directory, users:write changes it; others get 403")
  void scopes() {
    patch("gus", ADMIN, new JsonObject().put("name", "Gus"));
    String reader = Tokens.hs256("reader", "users:read");
    String writer = Tokens.hs256("writer", "users:read", "users:write");
    String nobody = Tokens.hs256("nobody", "agents:read");
    assertThat(get("/users", reader).statusCode()).isEqualTo(200);
    assertThat(get("/users/gus", reader).statusCode()).isEqualTo(200);
    assertThat(get("/users/metrics", reader).statusCode()).isEqualTo(200);
    assertThat(patch("gus", reader, new JsonObject().put("name", "G")).statusCode()).isEqualTo(403);
    for (String path : List.of("/users", "/users/gus", "/users/metrics")) assertThat(get(path, nobody).statusCode()).as(path).isEqualTo(403);
    assertThat(patch("gus", writer, new JsonObject().put("name", "Gus B")).bodyAsJsonObject().getString("name")).isEqualTo("Gus B");
    assertThat(get("/users/nobody-known", reader).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("only an admin switches a user off or on (their token's grants are not visible here), and nobody switches off themselves")
  void switchingIsAnAdmins() {
    call(s, HttpMethod.PUT, "/authz/subjects/boss/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("owner")));
    String writer = Tokens.hs256("writer", "users:read", "users:write", "metrics:read");
    for (String target : List.of("boss", "peer", "idp-admin")) {
      HttpResponse<Buffer> r = patch(target, writer, new JsonObject().put("disabled", true));
      assertThat(r.statusCode()).as(target).isEqualTo(403);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Only an admin can disable or enable a user");
    }
    assertThat(patch("writer", writer, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(409);
    assertThat(patch("admin-user", ADMIN, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(409);
    // the profile is not the switch: users:write changes a name
    assertThat(patch("boss", writer, new JsonObject().put("name", "The Boss")).statusCode()).isEqualTo(200);
    assertThat(patch("peer", ADMIN, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("PATCH /users/{sub} refuses what is not a profile or the switch, with 422 in agno's shape")
  void patchValidation() {
    List<JsonObject> bad = List.of(new JsonObject().put("disabled", "yes"), new JsonObject().put("email", 7),
        new JsonObject().put("name", "x".repeat(256)), new JsonObject().put("name", "a\nb"), new JsonObject().put("roles", new JsonArray()),
        new JsonObject().put("provisioned_by", "jit"));
    for (JsonObject body : bad) {
      HttpResponse<Buffer> r = patch("hal", ADMIN, body);
      assertThat(r.statusCode()).as(body.encode()).isEqualTo(422);
      assertThat(r.bodyAsJsonObject().getValue("detail")).isInstanceOf(JsonArray.class);
    }
    assertThat(patch("metrics", ADMIN, new JsonObject().put("name", "m")).statusCode()).isEqualTo(422);
    assertThat(patch("x".repeat(257), ADMIN, new JsonObject()).statusCode()).isEqualTo(422);
    assertThat(call(s, HttpMethod.PATCH, "/users/hal", ADMIN, "not json").statusCode()).isIn(400, 422);
    assertThat(get("/users/hal", ADMIN).statusCode()).as("nothing half-written").isEqualTo(404);
  }

  @Test
  @DisplayName("a what-if check adds nobody to the directory, and for a disabled user it says why")
  void whatIfDoesNotProvision() {
    HttpResponse<Buffer> check = call(s, HttpMethod.POST, "/authz/check", ADMIN, new JsonObject().put("method", "GET").put("path", "/metrics")
        .put("principal", new JsonObject().put("user_id", "ghost")));
    assertThat(check.statusCode()).isEqualTo(200);
    assertThat(get("/metrics", ADMIN).statusCode()).isEqualTo(200);
    assertThat(get("/users/ghost", ADMIN).statusCode()).isEqualTo(404);
    patch("ivy", ADMIN, new JsonObject().put("disabled", true));
    JsonObject decision = await("/users/ivy", ADMIN, r -> r.statusCode() == 200, 1000).statusCode() == 200
        ? call(s, HttpMethod.POST, "/authz/check", ADMIN, new JsonObject().put("method", "GET").put("path", "/metrics")
            .put("principal", new JsonObject().put("user_id", "ivy"))).bodyAsJsonObject() : new JsonObject();
    assertThat(decision.getBoolean("allowed")).isFalse();
    assertThat(decision.getBoolean("revoked")).isTrue();
    assertThat(decision.getJsonArray("reasons").getString(0)).isEqualTo("user 'ivy' is disabled in the users directory");
  }

  @Test
  @DisplayName("a service account can be disabled by its own name too, and the default role never gains the admin scope")
  void serviceAccountByNameAndDefaultRole() {
    HttpResponse<Buffer> minted = call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "bot")
        .put("scopes", new JsonArray().add("metrics:read")));
    String bot = minted.bodyAsJsonObject().getString("token");
    assertThat(get("/metrics", bot).statusCode()).isEqualTo(200);
    assertThat(patch("sa:bot", ADMIN, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(200);
    assertThat(awaitStatus("/metrics", bot, 401).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> escalate = call(s, HttpMethod.PUT, "/authz/roles/starter", ADMIN, new JsonObject()
        .put("scopes", new JsonArray().add("agent_os:admin")));
    assertThat(escalate.statusCode()).isEqualTo(422);
  }
}
