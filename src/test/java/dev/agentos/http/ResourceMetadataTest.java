package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** RFC 9728 protected resource metadata, for agents and MCP clients that discover where to get a token. */
@DisplayName("Protected resource metadata (RFC 9728)")
class ResourceMetadataTest {
  private static TestDatabase db;
  private static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("os", new JsonObject().put("name", "Agents of Example"))
        .put("authorization", new JsonObject().put("issuer", "https://idp.example/realms/agents")
            .put("excluded_route_paths", new JsonArray().add("/health").add("/ready"))
            .put("resource_metadata", new JsonObject().put("resource", "https://agents.example.com/os")
                .put("documentation", "https://agents.example.com/docs"))));
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  @Test
  @DisplayName("the metadata is served without a token, at the well-known path and at it with the resource's path")
  void document() {
    for (String path : List.of("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/os")) {
      var r = s.get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      JsonObject doc = r.bodyAsJsonObject();
      assertThat(doc.getString("resource")).isEqualTo("https://agents.example.com/os");
      assertThat(doc.getJsonArray("authorization_servers")).containsExactly("https://idp.example/realms/agents");
      assertThat(doc.getJsonArray("bearer_methods_supported")).containsExactly("header");
      assertThat(doc.getString("resource_name")).isEqualTo("Agents of Example");
      assertThat(doc.getString("resource_documentation")).isEqualTo("https://agents.example.com/docs");
      assertThat(doc.getJsonArray("scopes_supported")).contains("agents:read", "agents:run", "users:write", "agent_os:admin")
          .doesNotHaveDuplicates();
    }
  }

  @Test
  @DisplayName("scopes_supported is the scope catalog: exactly the scopes GET /authz/scopes lists")
  void scopesAreTheCatalog() {
    String admin = Tokens.hs256(Tokens.claims("root", "agent_os:admin").put("iss", "https://idp.example/realms/agents"));
    JsonArray catalog = s.get("/authz/scopes", admin).bodyAsJsonArray();
    List<String> raw = catalog.stream().map(e -> ((JsonObject) e).getString("raw")).sorted().toList();
    assertThat(s.get("/.well-known/oauth-protected-resource").bodyAsJsonObject().getJsonArray("scopes_supported").getList())
        .isEqualTo(raw);
  }

  @Test
  @DisplayName("every 401 names the metadata in its challenge: no token, a bad token, an unauthenticated route")
  void challenge() {
    String expected = "resource_metadata=\"https://agents.example.com/.well-known/oauth-protected-resource/os\"";
    assertThat(s.get("/agents").getHeader("WWW-Authenticate")).startsWith("Bearer").contains(expected);
    var bad = s.get("/agents", "not.a.token");
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(bad.getHeader("WWW-Authenticate")).contains("error=\"invalid_token\"").contains(expected);
    assertThat(s.get("/health").getHeader("WWW-Authenticate")).as("a public route has no challenge").isNull();
  }

  @Test
  @DisplayName("configuration: an http(s) resource without query or fragment; the other keys need it")
  void configRules() {
    for (JsonObject meta : List.of(new JsonObject().put("resource", "urn:x"), new JsonObject().put("resource", "https://a.example/?q=1"),
        new JsonObject().put("resource", "https://a.example/#f"), new JsonObject().put("documentation", "https://a.example/docs"),
        new JsonObject().put("resource", "https://a.example").put("authorization_servers", new JsonArray().add("ftp://idp")))) {
      assertThatThrownBy(() -> ConfigLoader.fromJson(new JsonObject().put("authorization", new JsonObject()
          .put("resource_metadata", meta)), Map.of())).as(meta.encode()).isInstanceOf(ConfigException.class);
    }
  }
}
