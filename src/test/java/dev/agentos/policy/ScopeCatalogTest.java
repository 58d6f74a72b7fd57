package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code GET /authz/scopes} (docs/authorization.md, "The managed-roles API"): the catalog is the route map. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The scope catalog")
class ScopeCatalogTest {
  static final JsonObject MAPPINGS = new JsonObject().put("GET /reports/*", new JsonArray().add("reports:read"))
      .put("GET /config", new JsonArray().add("config:read").add("ops:read"));

  TestDatabase db;
  TestServer s;

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("scope_mappings", MAPPINGS)));
  }

  @AfterAll
  void stop() throws Exception {
    s.close();
    db.close();
  }

  JsonArray catalog() {
    HttpResponse<Buffer> r = s.get("/authz/scopes", Tokens.hs256("auditor", "authz:read"));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }

  @Test
  @DisplayName("lists exactly the scopes the route map can require, configured mappings included, plus the admin scope, sorted")
  void exactlyTheMapsScopes() {
    TreeSet<String> expected = new TreeSet<>();
    AgentOsConfigHolder.map(MAPPINGS).entries().forEach(e -> expected.addAll(e.required()));
    expected.add("agent_os:admin");
    List<String> listed = new ArrayList<>();
    catalog().forEach(o -> listed.add(((JsonObject) o).getString("raw")));
    assertThat(listed).containsExactlyElementsOf(expected).contains("reports:read", "ops:read");
  }

  @Test
  @DisplayName("each scope names the routes that require it, and its namespace and permission")
  void routesPerScope() {
    JsonObject agentsRead = find("agents:read");
    assertThat(agentsRead.getString("namespace")).isEqualTo("agents");
    assertThat(agentsRead.getString("permission")).isEqualTo("read");
    assertThat(agentsRead.getJsonArray("routes").getList()).contains("GET /agents", "GET /agents/*");
    assertThat(find("reports:read").getJsonArray("routes").getList()).containsExactly("GET /reports/*");
    assertThat(find("ops:read").getJsonArray("routes").getList()).containsExactly("GET /config");
    assertThat(find("agent_os:admin").getJsonArray("routes")).isEmpty();
  }

  @Test
  @DisplayName("needs authz:read: another caller gets 403, an anonymous one 401")
  void needsAuthzRead() {
    assertThat(s.get("/authz/scopes", Tokens.hs256("viewer", "agents:read")).statusCode()).isEqualTo(403);
    assertThat(s.get("/authz/scopes").statusCode()).isEqualTo(401);
  }

  JsonObject find(String raw) {
    return catalog().stream().map(JsonObject.class::cast).filter(o -> o.getString("raw").equals(raw)).findFirst().orElseThrow();
  }

  /** The route map as the service builds it from the same mappings. */
  static final class AgentOsConfigHolder {
    @SuppressWarnings("unchecked")
    static RouteScopeMap map(JsonObject mappings) {
      Map<String, List<String>> m = new java.util.LinkedHashMap<>();
      mappings.forEach(e -> m.put(e.getKey(), ((JsonArray) e.getValue()).getList()));
      return RouteScopeMap.withDefaults(m);
    }
  }
}
