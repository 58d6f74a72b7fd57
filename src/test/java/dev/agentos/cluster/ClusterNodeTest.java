package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.cluster.impl.SettingsAgreement;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import dev.agentos.config.Placement;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Cluster settings")
class ClusterNodeTest {

  private static AgentOsConfig config(JsonObject section, Map<String, String> env) {
    return ConfigLoader.fromJson(new JsonObject().put("cluster", section.put("enabled", true)
        .put("security", new JsonObject().put("insecure", true))), env);
  }

  @Test
  @DisplayName("a placement names verticles in deployment order")
  void placement() {
    AgentOsConfig.Cluster c = config(new JsonObject().put("verticles", new JsonArray().add("runtime").add("HTTP")), Map.of()).cluster();
    assertThat(c.verticles().names()).containsExactly("http", "runtime");
    assertThat(c.verticles().runs(Placement.Verticle.POLICY)).isFalse();
  }

  @Test
  @DisplayName("a cluster without credentials refuses to start unless it is explicitly insecure")
  void credentialsRequired() {
    JsonObject noCredentials = new JsonObject().put("cluster", new JsonObject().put("enabled", true));
    assertThatThrownBy(() -> ConfigLoader.fromJson(noCredentials, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.security.credentials_dir")
        .hasMessageContaining("cluster-credentials");
    assertThat(ConfigLoader.fromJson(noCredentials.copy(), Map.of("AGENTOS_CLUSTER_SECURITY_INSECURE", "true")).cluster().insecure()).isTrue();
    assertThat(ConfigLoader.fromJson(noCredentials.copy(), Map.of("AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR", "/etc/agentos/cluster"))
        .cluster().credentialsDir()).contains(java.nio.file.Path.of("/etc/agentos/cluster"));
    assertThatThrownBy(() -> ConfigLoader.fromJson(noCredentials.copy(), Map.of("AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR", "/x",
        "AGENTOS_CLUSTER_SECURITY_INSECURE", "true"))).isInstanceOf(ConfigException.class).hasMessageContaining("cluster.security.insecure");
    assertThat(ConfigLoader.fromJson(new JsonObject(), Map.of()).cluster().credentialsDir()).as("outside a cluster nothing is needed").isEmpty();
  }

  private static final JsonObject BASE = new JsonObject()
      .put("cluster", new JsonObject().put("enabled", true).put("name", "prod").put("security", new JsonObject().put("insecure", true)))
      .put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
          .put("verification_keys", new JsonArray().add("a-secret-of-at-least-thirty-two-bytes!!")))
      .put("storage", new JsonObject().put("postgres", new JsonObject().put("host", "db1").put("database", "agentos")))
      .put("agents", new JsonArray().add(new JsonObject().put("id", "assistant").put("name", "Assistant")
          .put("model", new JsonObject().put("provider", "echo"))));

  private static Map<String, String> sections(Consumer<JsonObject> change, Map<String, String> env) {
    JsonObject json = BASE.copy();
    change.accept(json);
    return ClusterNode.settingsSections(ConfigLoader.fromJson(json, env));
  }

  static Stream<Arguments> answerChangingSettings() {
    return Stream.of(
        Arguments.of("user isolation", "authorization", (Consumer<JsonObject>) j -> j.getJsonObject("authorization").put("user_isolation", true)),
        Arguments.of("a verification key", "authorization", (Consumer<JsonObject>) j -> j.getJsonObject("authorization")
            .put("verification_keys", new JsonArray().add("another-secret-of-at-least-32-bytes!!"))),
        Arguments.of("RBAC off", "authorization", (Consumer<JsonObject>) j -> j.getJsonObject("authorization").put("enabled", false)),
        Arguments.of("a role", "authorization", (Consumer<JsonObject>) j -> j.getJsonObject("authorization").put("roles",
            new JsonObject().put("analyst", new JsonObject().put("scopes", new JsonArray().add("agents:read"))))),
        Arguments.of("an agent's model", "registry", (Consumer<JsonObject>) j -> j.getJsonArray("agents").getJsonObject(0)
            .put("model", new JsonObject().put("provider", "openai").put("id", "gpt-x").put("base_url", "http://127.0.0.1:9"))),
        Arguments.of("another agent", "registry", (Consumer<JsonObject>) j -> j.getJsonArray("agents").add(new JsonObject()
            .put("id", "second").put("name", "Second").put("model", new JsonObject().put("provider", "echo")))),
        Arguments.of("the database host", "storage", (Consumer<JsonObject>) j -> j.getJsonObject("storage").getJsonObject("postgres").put("host", "db2")),
        Arguments.of("the os id (default audience)", "os", (Consumer<JsonObject>) j -> j.put("os", new JsonObject().put("id", "other"))));
  }

  @ParameterizedTest(name = "{0} differs: section {1}")
  @MethodSource("answerChangingSettings")
  @DisplayName("a setting that changes an answer changes exactly its section's fingerprint")
  void answerChangingSettingNamed(String what, String section, Consumer<JsonObject> change) {
    Map<String, String> same = sections(j -> { }, Map.of());
    Map<String, String> other = sections(change, Map.of());
    assertThat(SettingsAgreement.differing(same, other)).containsExactly(section);
  }

  @Test
  @DisplayName("per-node settings (addresses, ports, placement, instance counts, credentials) do not change the fingerprints")
  void perNodeSettingsAgree() {
    Map<String, String> same = sections(j -> { }, Map.of());
    Map<String, String> node2 = sections(j -> { }, Map.of("AGENTOS_CLUSTER_HOST", "10.0.0.9", "AGENTOS_CLUSTER_PORT", "7000",
        "AGENTOS_CLUSTER_VERTICLES", "http", "AGENTOS_HTTP_PORT", "8080", "AGENTOS_HTTP_INSTANCES", "3",
        "AGENTOS_AUTHORIZATION_POLICY_INSTANCES", "7"));
    assertThat(SettingsAgreement.differing(same, node2)).isEmpty();
    assertThat(same).containsEntry("contract", ClusterNode.CONTRACT_VERSION);
  }

  @Test
  @DisplayName("a section one side lacks counts as differing")
  void missingSection() {
    assertThat(SettingsAgreement.differing(Map.of("a", "1", "b", "2"), Map.of("a", "1"))).containsExactly("b");
    assertThat(SettingsAgreement.differing(Map.of("a", "1"), Map.of("a", "1", "c", "3"))).isEqualTo(List.of("c"));
  }
}
