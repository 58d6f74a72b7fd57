package dev.agentos.policy;

import dev.agentos.contract.PolicyApi;
import dev.agentos.contract.Decision;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.contract.Principal;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The policy verticle on the event bus")
class PolicyEventBusTest {
  private TestDatabase db;
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject());
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    db.close();
  }

  /** Another verticle (as any verticle in the cluster would) asking through PolicyClient. */
  static final class AskingVerticle extends VerticleBase {
    Decision listing;
    Decision denied;
    boolean runA1;
    boolean runA2;

    @Override
    public Future<?> start() {
      PolicyClient policy = new PolicyClient(vertx, 2_000);
      Principal alice = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("agents:a1:read", "agents:a1:run"),
          List.of(), Optional.empty(), new JsonObject(), 0);
      return policy.authorize(alice, "GET", "/agents").onSuccess(d -> listing = d)
          .compose(v -> policy.authorize(alice, "DELETE", "/agents/a1")).onSuccess(d -> denied = d)
          .compose(v -> policy.check(alice, "agents:run", "a1")).onSuccess(b -> runA1 = b)
          .compose(v -> policy.check(alice, "agents:run", "a2")).onSuccess(b -> runA2 = b);
    }
  }

  @Test
  @DisplayName("a verticle asks authorize and check through PolicyClient and gets decisions with reasons")
  void policyClient() throws Exception {
    AskingVerticle asking = new AskingVerticle();
    server.vertx().deployVerticle(asking).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(asking.listing.allowed()).isTrue();
    assertThat(asking.listing.accessibleIds()).contains(java.util.Set.of("a1"));
    assertThat(asking.denied.allowed()).isFalse();
    assertThat(asking.denied.detail()).isEqualTo("Insufficient permissions. Required scope(s): agents:delete");
    assertThat(asking.denied.reasons()).contains("missing agents:a1:delete");
    assertThat(asking.runA1).isTrue();
    assertThat(asking.runA2).isFalse();
  }

  @Test
  @DisplayName("a delegated principal over the event bus: authorize and check are the intersection of the subject and its actor, in JSON too")
  void delegatedOverTheBus() throws Exception {
    server.close();
    server = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("user_isolation", true)
        .put("max_delegation_depth", 2).put("actors", new JsonObject()
            .put("reader-bot", new JsonObject().put("scopes", new io.vertx.core.json.JsonArray().add("agents:read").add("sessions:read"))))));
    PolicyClient policy = new PolicyClient(server.vertx(), 2_000);
    Principal alice = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("agents:read", "agents:run"), List.of(),
        Optional.empty(), new JsonObject(), 0, Optional.empty(), Optional.empty(),
        List.of(new Principal.Actor("reader-bot", Optional.of("bot-client"), Optional.empty())));
    assertThat(policy.authorize(alice, "GET", "/agents/a1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).allowed())
        .isTrue();
    // isolation follows the subject: the actor reads alice's rows, not its own or everyone's
    Principal aliceReading = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("sessions:read"), List.of(), Optional.empty(),
        new JsonObject(), 0, Optional.empty(), Optional.empty(), alice.actors());
    Decision sessions = policy.authorize(aliceReading, "GET", "/sessions").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(sessions.allowed()).isTrue();
    assertThat(sessions.scopedUserId()).contains("alice");
    // chain limits hold on the bus as over HTTP
    Principal tooLong = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("sessions:read"), List.of(), Optional.empty(),
        new JsonObject(), 0, Optional.empty(), Optional.empty(), List.of(new Principal.Actor("a", Optional.empty(), Optional.empty()),
            new Principal.Actor("b", Optional.empty(), Optional.empty()), new Principal.Actor("c", Optional.empty(), Optional.empty())));
    Decision refused = policy.authorize(tooLong, "GET", "/sessions").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.detail()).isEqualTo("Delegation chain of 3 actors is longer than authorization.max_delegation_depth (2)");
    Principal cycle = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("sessions:read"), List.of(), Optional.empty(),
        new JsonObject(), 0, Optional.empty(), Optional.empty(), List.of(new Principal.Actor("reader-bot", Optional.empty(), Optional.empty()),
            new Principal.Actor("reader-bot", Optional.empty(), Optional.empty())));
    assertThat(policy.authorize(cycle, "GET", "/sessions").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).detail())
        .isEqualTo("The delegation chain has a cycle: 'reader-bot' acts twice");
    Decision run = policy.authorize(alice, "POST", "/agents/a1/runs").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(run.allowed()).isFalse();
    assertThat(run.detail()).startsWith("Actor 'reader-bot' may not do this for the user");
    assertThat(policy.check(alice, "agents:run", "a1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).isFalse();
    assertThat(policy.check(alice.withoutActors(), "agents:run", "a1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isTrue();
    // a sender that speaks JSON names the chain in the principal's actors
    JsonObject reply = (JsonObject) server.vertx().eventBus().request(PolicyApi.ADDRESS, new JsonObject()
        .put("principal", alice.toJson()).put("method", "POST").put("path", "/agents/a1/runs"),
        new DeliveryOptions().addHeader(PolicyApi.ACTION_HEADER, PolicyApi.AUTHORIZE))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
    assertThat(reply.getBoolean("allowed")).isFalse();
    assertThat(alice.toJson().getJsonArray("actors").getJsonObject(0).getString("client_id")).isEqualTo("bot-client");
  }

  @Test
  @DisplayName("malformed requests and unknown actions fail with their codes, never an allow")
  void malformed() throws Exception {
    var bus = server.vertx().eventBus();
    Throwable noPrincipal = bus.request(PolicyApi.ADDRESS, new JsonObject().put("method", "GET").put("path", "/agents"),
        new DeliveryOptions().addHeader(PolicyApi.ACTION_HEADER, PolicyApi.AUTHORIZE))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
    assertThat(noPrincipal).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) noPrincipal).failureCode()).isEqualTo(PolicyApi.BAD_REQUEST);
    // tokens are verified by authn only: a request that brings a token instead of a principal is malformed
    Throwable token = bus.request(PolicyApi.ADDRESS, new JsonObject().put("token", Tokens.hs256("bob", "agents:a2:run"))
        .put("action", "agents:run"), new DeliveryOptions().addHeader(PolicyApi.ACTION_HEADER, PolicyApi.CHECK))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
    assertThat(((ReplyException) token).failureCode()).isEqualTo(PolicyApi.BAD_REQUEST);
    Throwable unknown = bus.request(PolicyApi.ADDRESS, new JsonObject(),
        new DeliveryOptions().addHeader(PolicyApi.ACTION_HEADER, "grant-everything"))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
    assertThat(((ReplyException) unknown).failureCode()).isEqualTo(PolicyApi.UNKNOWN_ACTION);
  }

  @Test
  @DisplayName("with the policy verticle undeployed, protected routes answer 503 (never 200), excluded ones still work")
  void undeployedPolicyFailsClosed() throws Exception {
    VertxInternal vertx = (VertxInternal) server.vertx();
    String admin = Tokens.admin();
    assertThat(server.get("/metrics", admin).statusCode()).isEqualTo(200);
    for (String id : vertx.deploymentIDs()) {
      var deployment = vertx.deploymentManager().deployment(id);
      if (deployment != null && deployment.deployment().identifier().contains("PolicyVerticle")) {
        vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
    var r = server.get("/metrics", admin);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Authorization service unavailable");
    assertThat(server.get("/health").statusCode()).isEqualTo(200);
    assertThat(server.get("/ready").statusCode()).isEqualTo(503);
  }
}
