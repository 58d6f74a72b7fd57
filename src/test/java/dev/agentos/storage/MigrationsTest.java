package dev.agentos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.storage.impl.Migrations;
import dev.agentos.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Schema migrations")
class MigrationsTest {

  @Test
  @DisplayName("are applied to an empty database and are a no-op on the next start")
  void appliedOnceThenIdempotent() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      AgentOsConfig config = ConfigLoader.fromJson(new JsonObject().put("storage",
          new JsonObject().put("postgres", db.postgresConfig())), Map.of());
      PostgresTarget target = PostgresTarget.fromConfig(config.postgres()).orElseThrow();

      Migrations.Outcome first = Migrations.migrate(target);
      assertThat(first.applied()).isGreaterThan(0);
      assertThat(tables(db)).contains("sessions", "runs", "memories", "traces", "spans", "flyway_schema_history");

      Migrations.Outcome second = Migrations.migrate(target);
      assertThat(second.applied()).isZero();
      assertThat(second.schemaVersion()).isEqualTo(first.schemaVersion()).isNotEmpty();
    }
  }

  private static List<String> tables(TestDatabase db) throws Exception {
    List<String> names = new ArrayList<>();
    try (Connection c = db.connect();
         ResultSet rs = c.createStatement().executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
      while (rs.next()) names.add(rs.getString(1));
    }
    return names;
  }
}
