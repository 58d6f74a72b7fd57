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

      Migrations.Outcome first = Migrations.migrate(target, "agentos_app");
      assertThat(first.applied()).isGreaterThan(0);
      assertThat(tables(db)).contains("sessions", "runs", "memories", "traces", "spans", "flyway_schema_history");

      Migrations.Outcome second = Migrations.migrate(target, "agentos_app");
      assertThat(second.applied()).isZero();
      assertThat(second.schemaVersion()).isEqualTo(first.schemaVersion()).isNotEmpty();
    }
  }

  /** Rows as a database of schema version 7 (before tenants) holds them, one per table. */
  private static final List<String> VERSION_7_ROWS = List.of(
      "INSERT INTO sessions (session_id, user_id, session_type, component_id) VALUES ('s-old', 'alice', 'agent', 'a1')",
      "INSERT INTO runs (run_id, session_id, user_id, component_type, component_id, status, content) "
          + "VALUES ('r-old', 's-old', 'alice', 'agent', 'a1', 'COMPLETED', 'hello')",
      "INSERT INTO memories (memory_id, user_id, memory) VALUES ('m-old', 'alice', 'likes tea')",
      "INSERT INTO traces (trace_id, user_id, name, status, start_time) VALUES ('t-old', 'alice', 'Agent.run', 'OK', now())",
      "INSERT INTO spans (span_id, trace_id, name, kind, status, start_time) VALUES ('sp-old', 't-old', 'run', 'agent', 'OK', now())",
      "INSERT INTO service_accounts (id, name, token_hash, token_prefix, scopes) VALUES ('sa-1', 'ci', 'h', 'agentos_pat_x', '{agents:read}')",
      "INSERT INTO roles (name, scopes) VALUES ('analyst', '{traces:read}')",
      "INSERT INTO subject_roles (subject, role_name) VALUES ('alice', 'analyst')",
      "INSERT INTO authz_audit (actor, action, target) VALUES ('root', 'role.create', 'role:analyst')");

  private static final List<String> TENANT_TABLES = List.of("sessions", "runs", "memories", "traces", "spans",
      "service_accounts", "roles", "subject_roles", "authz_audit");

  @Test
  @DisplayName("upgrading a database from before tenants puts every existing row in the implicit tenant, still readable by its owner")
  void upgradeKeepsRowsInTheImplicitTenant() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      AgentOsConfig config = ConfigLoader.fromJson(new JsonObject().put("storage",
          new JsonObject().put("postgres", db.postgresConfig())), Map.of());
      PostgresTarget target = PostgresTarget.fromConfig(config.postgres()).orElseThrow();
      assertThat(Migrations.migrate(target, "agentos_app", "7").schemaVersion()).isEqualTo("7");
      try (Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
        for (String row : VERSION_7_ROWS) st.execute(row);
      }
      assertThat(Migrations.migrate(target, "agentos_app").applied()).isPositive();
      try (Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
        for (String table : TENANT_TABLES) {
          try (ResultSet rs = st.executeQuery("SELECT count(*), count(*) FILTER (WHERE tenant_id = '') FROM " + table)) {
            rs.next();
            assertThat(rs.getLong(2)).as(table).isEqualTo(rs.getLong(1)).isEqualTo(1);
          }
        }
        try (ResultSet rs = st.executeQuery("SELECT user_id FROM spans")) {
          rs.next();
          assertThat(rs.getString(1)).as("a span carries its trace's owner").isEqualTo("alice");
        }
        // a write that does not say its tenant fails instead of landing somewhere
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> st.execute(
                "INSERT INTO sessions (session_id, user_id, session_type) VALUES ('s-new', 'alice', 'agent')"))
            .hasMessageContaining("tenant_id");
      }
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      io.vertx.sqlclient.Pool pool = StorageVerticle.createPool(vertx, config.postgres(), target, "upgrade-test");
      try {
        var scoped = new dev.agentos.storage.impl.ScopedClient(pool, true);
        JsonObject session = new dev.agentos.storage.impl.SessionStore(scoped)
            .get(dev.agentos.contract.Owner.user("alice"), "s-old", null, 1, 10)
            .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(session.getJsonArray("chat_history").encode()).contains("hello");
        JsonObject roles = new dev.agentos.storage.impl.RoleStore(scoped).snapshot()
            .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(roles.getJsonObject("tenants").getJsonObject("").getJsonObject("subjects").getJsonArray("alice").getList())
            .containsExactly("analyst");
      } finally {
        pool.close();
        vertx.close();
      }
    }
  }

  @Test
  @DisplayName("the tenant migration can run again over itself: no error, and keys, policies and rows unchanged")
  void tenantMigrationRerunnable() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      AgentOsConfig config = ConfigLoader.fromJson(new JsonObject().put("storage",
          new JsonObject().put("postgres", db.postgresConfig())), Map.of());
      PostgresTarget target = PostgresTarget.fromConfig(config.postgres()).orElseThrow();
      Migrations.migrate(target, "agentos_app", "7");
      try (Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
        for (String row : VERSION_7_ROWS) st.execute(row);
      }
      Migrations.migrate(target, "agentos_app");
      String script;
      try (var in = MigrationsTest.class.getResourceAsStream("/db/migration/V8__tenants_and_row_level_security.sql")) {
        script = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).replace("${app_role}", "agentos_app");
      }
      String before = schemaAndRows(db);
      try (Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
        st.execute(script);
        st.execute(script);
      }
      assertThat(schemaAndRows(db)).isEqualTo(before).contains("sessions_pkey PRIMARY KEY (tenant_id, session_id)")
          .contains("agentos_isolation");
    }
  }

  /** Every constraint, index, policy and row count of the tenant tables, as text. */
  private static String schemaAndRows(TestDatabase db) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
      for (String q : List.of(
          "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
              + "WHERE connamespace = 'public'::regnamespace ORDER BY 1",
          "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
          "SELECT tablename || ' ' || policyname || ' ' || qual || ' ' || with_check FROM pg_policies ORDER BY 1",
          "SELECT relname || ' ' || relrowsecurity || ' ' || relforcerowsecurity FROM pg_class WHERE relnamespace = "
              + "'public'::regnamespace AND relkind = 'r' ORDER BY 1")) {
        try (ResultSet rs = st.executeQuery(q)) {
          while (rs.next()) out.append(rs.getString(1)).append('\n');
        }
      }
      for (String table : TENANT_TABLES) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          out.append(table).append(' ').append(rs.getLong(1)).append('\n');
        }
      }
    }
    return out.toString();
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
