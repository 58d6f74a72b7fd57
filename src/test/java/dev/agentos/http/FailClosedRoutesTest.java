package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.authn.JwtVerifier;
import dev.agentos.authn.KeySet;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.policy.PolicyClient;
import dev.agentos.policy.PolicyEngine;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** docs/authorization.md: every route the router serves is excluded or has an explicit entry in the route map. */
@DisplayName("Fail-closed invariant over the router's own routes")
class FailClosedRoutesTest {

  @Test
  @DisplayName("every served route is either excluded from authentication or explicitly mapped")
  void everyRouteMapped() throws Exception {
    AgentOsConfig config = ConfigLoader.fromJson(new JsonObject(), Map.of());
    Vertx vertx = Vertx.vertx();
    try {
      HttpVerticle verticle = new HttpVerticle(config, new KeySet(List.of(), List.of()), "agentos-routes-test");
      verticle.init(vertx, vertx.getOrCreateContext());
      AuthenticationHandler authn = new AuthenticationHandler(vertx, config.authorization(),
          new JwtVerifier(config.authorization(), List.of(), new KeySet(List.of(), List.of())));
      Router router = verticle.buildRouter(authn, new PolicyClient(vertx, 1_000));
      PolicyEngine engine = new PolicyEngine(config.authorization());

      List<String> served = new ArrayList<>();
      List<String> unmapped = new ArrayList<>();
      for (Route route : router.getRoutes()) {
        String path = route.getPath();
        if (path == null) continue; // the ordered handlers that apply to every request
        Set<HttpMethod> methods = route.methods();
        assertThat(methods).as("route %s must name its methods", path).isNotEmpty();
        for (HttpMethod method : methods) {
          served.add(method + " " + path);
          boolean excluded = authn.isExcluded(path);
          boolean mapped = engine.routes().lookup(method.name(), path).isPresent();
          if (!excluded && !mapped) unmapped.add(method + " " + path);
        }
      }
      assertThat(served).contains("GET /metrics", "GET /health");
      assertThat(unmapped).isEmpty();
    } finally {
      vertx.close();
    }
  }
}
