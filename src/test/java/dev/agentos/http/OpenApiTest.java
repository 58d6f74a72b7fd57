package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.authn.JwtVerifier;
import dev.agentos.authn.KeySet;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.policy.PolicyClient;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("GET /openapi.json")
class OpenApiTest {

  @Test
  @DisplayName("is public, is a valid OpenAPI document (vertx-openapi), and lists exactly the router's routes with their scopes")
  void validAndComplete() throws Exception {
    try (TestDatabase db = TestDatabase.create(); TestServer s = TestServer.start(db, new JsonObject())) {
      var r = s.get("/openapi.json");
      assertThat(r.statusCode()).isEqualTo(200);
      JsonObject doc = r.bodyAsJsonObject();
      // vertx-openapi 5.0.7 models neither application/x-www-form-urlencoded request bodies nor
      // text/event-stream responses (limits of the validator, not of OpenAPI): validate a copy without them;
      // the served document keeps them.
      JsonObject forValidator = doc.copy();
      forValidator.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).forEach(o -> {
        JsonObject op = (JsonObject) o.getValue();
        JsonObject body = op.getJsonObject("requestBody");
        if (body != null) body.getJsonObject("content").remove("application/x-www-form-urlencoded");
        op.getJsonObject("responses").forEach(resp -> {
          JsonObject content = ((JsonObject) resp.getValue()).getJsonObject("content");
          if (content != null) content.remove("text/event-stream");
        });
      }));
      OpenAPIContract.from(s.vertx(), forValidator).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);

      Set<String> documented = new TreeSet<>();
      doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).fieldNames()
          .forEach(m -> documented.add(m.toUpperCase() + " " + p.getKey())));
      assertThat(documented).isEqualTo(servedRoutes());

      JsonObject run = doc.getJsonObject("paths").getJsonObject("/agents/{id}/runs").getJsonObject("post");
      assertThat(run.getJsonArray("x-required-scopes")).containsExactly("agents:<id>:run");
      assertThat(run.getJsonObject("requestBody").getJsonObject("content").fieldNames())
          .contains("application/x-www-form-urlencoded", "multipart/form-data");
      assertThat(doc.getJsonObject("paths").getJsonObject("/sessions").getJsonObject("get").getJsonArray("x-required-scopes"))
          .containsExactly("sessions:read");
      assertThat(doc.getJsonObject("paths").getJsonObject("/health").getJsonObject("get").getJsonArray("security")).isEmpty();
    }
  }

  private static Set<String> servedRoutes() {
    AgentOsConfig config = ConfigLoader.fromJson(new JsonObject(), Map.of());
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      HttpVerticle verticle = new HttpVerticle(config, new KeySet(List.of(), List.of()), "agentos-openapi-test");
      verticle.init(vertx, vertx.getOrCreateContext());
      Router router = verticle.buildRouter(new AuthenticationHandler(vertx, config.authorization(),
          new JwtVerifier(config.authorization(), List.of(), new KeySet(List.of(), List.of()))), new PolicyClient(vertx, 1_000));
      Set<String> out = new TreeSet<>();
      for (Route route : router.getRoutes()) {
        if (route.getPath() == null) continue;
        // the documentation pages describe the API, they are not part of it (FastAPI: include_in_schema=False)
        if (route.getPath().startsWith("/docs") || route.getPath().startsWith("/redoc")) continue;
        route.methods().forEach(m -> out.add(m.name() + " " + route.getPath().replaceAll(":([A-Za-z_][A-Za-z0-9_]*)", "{$1}")));
      }
      return out;
    } finally {
      vertx.close();
    }
  }
}
