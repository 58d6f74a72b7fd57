package dev.agentos.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.contract.Principal;
import dev.agentos.contract.PolicyApi;
import dev.agentos.policy.PolicyClient;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Replies are applied only to the request they answer")
class RequestBindingTest {

  @Test
  @DisplayName("a reply that carries the request's id is accepted")
  void boundReply(Vertx vertx, VertxTestContext test) {
    vertx.eventBus().<JsonObject>consumer("t.bound", msg -> RequestBinding.reply(msg, new JsonObject().put("ok", true)));
    RequestBinding.<JsonObject>request(vertx.eventBus(), "t.bound", new JsonObject(), new DeliveryOptions())
        .onComplete(test.succeeding(reply -> test.verify(() -> {
          assertThat(reply.body().getBoolean("ok")).isTrue();
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("a reply without the id, or with another request's id, fails the request")
  void unboundReplies(Vertx vertx, VertxTestContext test) {
    vertx.eventBus().<JsonObject>consumer("t.none", msg -> msg.reply(new JsonObject().put("ok", true)));
    vertx.eventBus().<JsonObject>consumer("t.other", msg -> msg.reply(new JsonObject().put("ok", true),
        new DeliveryOptions().addHeader(RequestBinding.HEADER, "0123456789abcdef0123456789abcdef")));
    var checkpoint = test.checkpoint(2);
    for (String address : List.of("t.none", "t.other")) {
      RequestBinding.request(vertx.eventBus(), address, new JsonObject(), new DeliveryOptions())
          .onComplete(test.failing(e -> test.verify(() -> {
            assertThat(e).isInstanceOf(RequestBinding.UnboundReply.class);
            checkpoint.flag();
          })));
    }
  }

  @Test
  @DisplayName("a consumer on the policy address that answers 'allow, admin' without binding its reply is never believed")
  void rogueAllowIsNotADecision(Vertx vertx, VertxTestContext test) {
    vertx.eventBus().<JsonObject>consumer(PolicyApi.ADDRESS, msg -> msg.reply(new JsonObject().put("allowed", true).put("admin", true)
        .put("decision_id", "rogue").putNull("accessible_ids").put("required", new io.vertx.core.json.JsonArray())
        .put("reasons", new io.vertx.core.json.JsonArray())));
    Principal mallory = new Principal(Principal.Kind.JWT, Optional.of("mallory"), List.of(), List.of(), Optional.empty(),
        new JsonObject(), 0);
    new PolicyClient(vertx, 2_000).authorize(mallory, "GET", "/sessions").onComplete(test.failing(e -> test.completeNow()));
  }
}
