package dev.agentos.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.AgentOsServer;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import dev.agentos.testing.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Database resolution")
class EmbeddedPostgresTest {

  private static AgentOsConfig config(JsonObject postgres) {
    return ConfigLoader.fromJson(new JsonObject()
        .put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
            .put("verification_keys", new JsonArray().add(Tokens.SECRET)))
        .put("http", new JsonObject().put("port", dev.agentos.testing.TestServer.freePort()).put("instances", 1))
        .put("storage", new JsonObject().put("postgres", postgres)), Map.of());
  }

  private static Throwable startFailure(AgentOsConfig config) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      AgentOsServer server = AgentOsServer.start(vertx, config, "agentos-embedded-test").toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      server.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("no url, no host and no embedded: a config error that names the options")
  void nothingConfigured() throws Exception {
    Throwable failure = startFailure(config(new JsonObject()));
    assertThat(failure).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("storage.postgres: no PostgreSQL configured");
  }

  @Test
  @DisplayName("embedded: true starts an embedded PostgreSQL, or says clearly why it cannot (as root)")
  void embedded() throws Exception {
    Throwable failure = startFailure(config(new JsonObject().put("embedded", true)));
    if ("root".equals(System.getProperty("user.name"))) {
      assertThat(failure).isInstanceOf(ConfigException.class)
          .hasMessage("storage.postgres.embedded: " + EmbeddedDatabase.AS_ROOT)
          .hasMessageContaining("PGHOST=127.0.0.1 PGUSER=postgres java -jar target/agentos.jar").hasMessageNotContaining("\n");
    } else {
      assertThat(failure).isNull();
    }
  }

  @Test
  @DisplayName("a url is parsed into host, port, database and user")
  void url() {
    PostgresTarget t = PostgresTarget.fromConfig(config(new JsonObject().put("url", "postgresql://app:pw@db.example:6543/agents")).postgres()).orElseThrow();
    assertThat(t.host()).isEqualTo("db.example");
    assertThat(t.port()).isEqualTo(6543);
    assertThat(t.database()).isEqualTo("agents");
    assertThat(t.user()).isEqualTo("app");
    assertThat(t.password()).contains("pw");
    assertThat(t.toString()).doesNotContain("pw");
    assertThatThrownBy(() -> PostgresTarget.fromConfig(config(new JsonObject().put("url", "postgresql://[bad")).postgres()))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  @DisplayName("a database nobody named is created on first start; a named one that does not exist is not")
  void defaultDatabaseCreated() throws Exception {
    try (dev.agentos.testing.TestDatabase db = dev.agentos.testing.TestDatabase.create()) {
      String name = db.name() + "_default";
      PostgresTarget unnamed = new PostgresTarget(db.host(), db.port(), name, "postgres", java.util.Optional.empty(),
          io.vertx.pgclient.SslMode.DISABLE, true);
      try {
        assertThat(dev.agentos.storage.impl.Migrations.migrate(unnamed, "agentos_app").applied()).isPositive();
        assertThat(dev.agentos.storage.impl.Migrations.migrate(unnamed, "agentos_app").applied()).as("the second start").isZero();
        PostgresTarget named = new PostgresTarget(db.host(), db.port(), name + "_named", "postgres", java.util.Optional.empty(),
            io.vertx.pgclient.SslMode.DISABLE, false);
        assertThatThrownBy(() -> dev.agentos.storage.impl.Migrations.migrate(named, "agentos_app")).hasMessageContaining("does not exist");
        try (var c = db.connect(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM pg_database WHERE datname LIKE '" + name + "%'")) {
          rs.next();
          assertThat(rs.getInt(1)).as("only the unnamed default was created").isEqualTo(1);
        }
      } finally {
        try (var c = db.connect(); var st = c.createStatement()) {
          st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
      }
    }
  }

  @Test
  @DisplayName("a url or host without a database means the default database, never the server's postgres database")
  void defaultDatabaseName() {
    PostgresTarget byHost = PostgresTarget.fromConfig(config(new JsonObject().put("host", "db")).postgres()).orElseThrow();
    assertThat(byHost.database()).isEqualTo(PostgresTarget.DEFAULT_DATABASE).isEqualTo("agentos");
    assertThat(byHost.createIfMissing()).isTrue();
    PostgresTarget byUrl = PostgresTarget.fromConfig(config(new JsonObject().put("url", "postgresql://u@db:5432")).postgres()).orElseThrow();
    assertThat(byUrl.database()).isEqualTo("agentos");
    assertThat(byUrl.user()).isEqualTo("u");
    PostgresTarget bare = PostgresTarget.fromConfig(config(new JsonObject().put("url", "postgresql://db.example")).postgres()).orElseThrow();
    assertThat(bare.database()).isEqualTo("agentos");
    assertThat(bare.user()).as("not Vert.x's default 'user'").isEqualTo("postgres");
    PostgresTarget named = PostgresTarget.fromConfig(config(new JsonObject().put("host", "db").put("database", "mine")).postgres()).orElseThrow();
    assertThat(named.database()).isEqualTo("mine");
    assertThat(named.createIfMissing()).isFalse();
  }
}
