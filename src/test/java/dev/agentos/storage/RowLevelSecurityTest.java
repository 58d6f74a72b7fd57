package dev.agentos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.contract.Owner;
import dev.agentos.storage.impl.Migrations;
import dev.agentos.storage.impl.RoleStore;
import dev.agentos.storage.impl.ScopedClient;
import dev.agentos.storage.impl.ScopedClient.Scope;
import dev.agentos.storage.impl.ServiceAccountStore;
import dev.agentos.storage.impl.SessionStore;
import dev.agentos.storage.impl.TraceStore;
import dev.agentos.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The second wall of docs/isolation.md: PostgreSQL itself refuses a foreign row. Statements here have no owner or
 * tenant predicate at all, and run through the service's own pool, role and scoping ({@link ScopedClient}), as the
 * stores' statements do; whatever they see or touch is what the row-level policies let through.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Row-level security: the database refuses foreign rows even to a statement without a WHERE")
class RowLevelSecurityTest {
  static final Owner ALICE_ACME = Owner.of("acme", "alice");
  static final Owner BOB_ACME = Owner.of("acme", "bob");
  static final Owner ALICE_GLOBEX = Owner.of("globex", "alice");

  TestDatabase db;
  Vertx vertx;
  AgentOsConfig.Postgres pg;
  PostgresTarget target;
  Pool pool;
  ScopedClient scoped;

  @BeforeAll
  void seed() throws Exception {
    db = TestDatabase.create();
    vertx = Vertx.vertx();
    pg = config(new JsonObject()).postgres();
    target = PostgresTarget.fromConfig(pg).orElseThrow();
    Migrations.migrate(target, pg.appRole());
    // one connection, so every statement below reuses the connection the one before it used
    pool = StorageVerticle.createPool(vertx, pg, target, "rls-test");
    scoped = new ScopedClient(pool, true);
    SessionStore sessions = new SessionStore(scoped);
    TraceStore traces = new TraceStore(scoped);
    for (Owner o : List.of(ALICE_ACME, BOB_ACME, ALICE_GLOBEX)) {
      String id = o.userId().get();
      // the same session id in both tenants: ids are per tenant
      await(sessions.recordRun(o, "s-" + id, "agent", "a1", new JsonObject().put("run_id", "r-" + id).put("content", "hi " + id),
          trace("t-" + id), new JsonArray().add(span("sp-" + id))));
      await(new dev.agentos.storage.impl.MemoryStore(scoped).create(o, "note of " + id + "@" + o.tenantId(), List.of(), null, null));
    }
    ServiceAccountStore accounts = new ServiceAccountStore(scoped);
    RoleStore roles = new RoleStore(scoped);
    for (String tenant : List.of("acme", "globex")) {
      await(accounts.create(tenant, "ci", "hash-" + tenant, "agentos_pat_x", List.of("agents:read"), "root", null, null, null, false));
      await(roles.put(tenant, "analyst", List.of("traces:read"), List.of(), null, "root", List.of()));
      await(roles.assign(tenant, "alice", List.of("analyst"), "root", List.of()));
    }
  }

  @AfterAll
  void stop() throws Exception {
    pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    db.close();
  }

  AgentOsConfig config(JsonObject postgres) {
    return ConfigLoader.fromJson(new JsonObject().put("storage", new JsonObject()
        .put("postgres", db.postgresConfig().put("pool_size", 1).mergeIn(postgres))), Map.of());
  }

  static JsonObject trace(String id) {
    return new JsonObject().put("trace_id", id).put("name", "Agent.run").put("start_time", "2026-11-01T10:00:00Z");
  }

  static JsonObject span(String id) {
    return new JsonObject().put("span_id", id).put("name", "run").put("start_time", "2026-11-01T10:00:00Z");
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  List<String> owners(Scope scope, String table) throws Exception {
    List<String> out = new ArrayList<>();
    boolean owned = List.of("sessions", "runs", "memories", "traces", "spans").contains(table);
    for (Row r : await(scoped.query(scope, "SELECT tenant_id" + (owned ? ", user_id" : "") + " FROM " + table, Tuple.tuple()))) {
      out.add(r.getString("tenant_id") + (owned ? "/" + r.getString("user_id") : ""));
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sessions", "runs", "memories", "traces", "spans"})
  @DisplayName("a user sees only their own rows of their own tenant")
  void userSeesOwnRows(String table) throws Exception {
    assertThat(owners(Scope.of(ALICE_ACME), table)).isNotEmpty().containsOnly("acme/alice");
    assertThat(owners(Scope.of(ALICE_GLOBEX), table)).isNotEmpty().containsOnly("globex/alice");
    assertThat(owners(Scope.of(BOB_ACME), table)).isNotEmpty().containsOnly("acme/bob");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sessions", "runs", "memories", "traces", "spans"})
  @DisplayName("a tenant admin's scope (every user of one tenant) sees that tenant's users and no other tenant")
  void tenantScopeSeesTheTenant(String table) throws Exception {
    assertThat(owners(Scope.of(Owner.everyoneIn("acme")), table)).containsOnly("acme/alice", "acme/bob").contains("acme/bob");
    assertThat(owners(Scope.of(Owner.everyoneIn("globex")), table)).containsOnly("globex/alice");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"service_accounts", "roles", "subject_roles", "authz_audit", "users"})
  @DisplayName("policy data is per tenant, and a user's scope sees none of it")
  void policyDataPerTenant(String table) throws Exception {
    assertThat(owners(Scope.tenant("acme"), table)).isNotEmpty().containsOnly("acme");
    assertThat(owners(Scope.tenant("globex"), table)).isNotEmpty().containsOnly("globex");
    assertThat(owners(Scope.of(ALICE_ACME), table)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sessions", "runs", "memories", "traces", "spans", "service_accounts", "roles", "subject_roles", "authz_audit",
      "users"})
  @DisplayName("a statement that sets no scope sees no row at all")
  void noScopeNoRows(String table) throws Exception {
    assertThat(await(pool.query("SELECT count(*) AS n FROM " + table).execute()).iterator().next().getLong("n")).isZero();
  }

  @Test
  @DisplayName("every table of the schema but Flyway's history has forced row-level security: a new table without it fails here")
  void everyTableIsWalled() throws Exception {
    List<String> unwalled = new ArrayList<>();
    try (java.sql.Connection c = db.connect(); java.sql.ResultSet rs = c.createStatement().executeQuery(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' "
            + "AND NOT (relrowsecurity AND relforcerowsecurity) AND relname <> 'flyway_schema_history'")) {
      while (rs.next()) unwalled.add(rs.getString(1));
    }
    assertThat(unwalled).isEmpty();
  }

  @Test
  @DisplayName("a row written for another tenant or user is refused by the database, whatever the statement says")
  void foreignWritesRefused() throws Exception {
    for (String values : List.of("('globex', 'alice', 'x-1', 'agent')", "('acme', 'bob', 'x-2', 'agent')", "('', 'alice', 'x-3', 'agent')")) {
      Future<RowSet<Row>> insert = scoped.query(Scope.of(ALICE_ACME),
          "INSERT INTO sessions (tenant_id, user_id, session_id, session_type) VALUES " + values, Tuple.tuple());
      Throwable failure = insert.toCompletionStage().toCompletableFuture().handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
      assertThat(failure).as(values).isNotNull().hasMessageContaining("row-level security");
    }
    // and moving one's own row into another tenant is a write of a foreign row too
    Throwable moved = scoped.query(Scope.of(ALICE_ACME), "UPDATE sessions SET tenant_id = 'globex'", Tuple.tuple())
        .toCompletionStage().toCompletableFuture().handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
    assertThat(moved).isNotNull().hasMessageContaining("row-level security");
  }

  @Test
  @DisplayName("an UPDATE or DELETE without a WHERE touches only the caller's rows")
  void unfilteredWritesStayInside() throws Exception {
    RowSet<Row> renamed = await(scoped.query(Scope.of(ALICE_ACME), "UPDATE sessions SET session_name = 'renamed'", Tuple.tuple()));
    assertThat(renamed.rowCount()).isEqualTo(1);
    List<String> named = new ArrayList<>();
    for (Row r : await(scoped.query(Scope.SYSTEM, "SELECT tenant_id, user_id FROM sessions WHERE session_name = 'renamed'", Tuple.tuple()))) {
      named.add(r.getString("tenant_id") + "/" + r.getString("user_id"));
    }
    assertThat(named).containsExactly("acme/alice");
    Owner carol = Owner.of("acme", "carol");
    await(new dev.agentos.storage.impl.MemoryStore(scoped).create(carol, "carol's", List.of(), null, null));
    RowSet<Row> deleted = await(scoped.query(Scope.of(carol), "DELETE FROM memories", Tuple.tuple()));
    assertThat(deleted.rowCount()).isEqualTo(1);
    assertThat(owners(Scope.SYSTEM, "memories")).containsExactlyInAnyOrder("acme/alice", "acme/bob", "globex/alice");
  }

  @Test
  @DisplayName("a pooled connection reused after another user's statement carries none of its settings")
  void pooledConnectionCarriesNothing() throws Exception {
    int pid = await(scoped.query(Scope.of(ALICE_ACME), "SELECT pg_backend_pid() AS pid", Tuple.tuple())).iterator().next().getInteger("pid");
    Row after = await(pool.query("SELECT pg_backend_pid() AS pid, current_setting('agentos.scope', true) AS scope, "
        + "(SELECT count(*) FROM sessions) AS visible").execute()).iterator().next();
    assertThat(after.getInteger("pid")).as("the same connection").isEqualTo(pid);
    assertThat(after.getString("scope")).isNullOrEmpty();
    assertThat(after.getLong("visible")).isZero();
    // and the next user on it sees only their own
    assertThat(owners(Scope.of(ALICE_GLOBEX), "sessions")).containsOnly("globex/alice");
  }

  @Test
  @DisplayName("statements run as the application role: not a superuser, no BYPASSRLS, owner of no table")
  void applicationRole() throws Exception {
    Row r = await(pool.query("SELECT current_user AS role, rolsuper, rolbypassrls, "
        + "(SELECT count(*) FROM pg_tables WHERE tableowner = current_user) AS owned FROM pg_roles WHERE rolname = current_user")
        .execute()).iterator().next();
    assertThat(r.getString("role")).isEqualTo("agentos_app");
    assertThat(r.getBoolean("rolsuper")).isFalse();
    assertThat(r.getBoolean("rolbypassrls")).isFalse();
    assertThat(r.getLong("owned")).isZero();
    assertThat(await(ScopedClient.requireSubjectToPolicies(pool).map(true))).isTrue();
  }

  @Test
  @DisplayName("with row-level security on, a login that would bypass it (a superuser, no app_role) is refused, and says why")
  void superuserRefused() throws Exception {
    AgentOsConfig.Postgres login = config(new JsonObject().put("app_role", "")).postgres();
    Pool direct = StorageVerticle.createPool(vertx, login, PostgresTarget.fromConfig(login).orElseThrow(), "rls-superuser");
    try {
      Throwable refused = ScopedClient.requireSubjectToPolicies(direct).toCompletionStage().toCompletableFuture()
          .handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
      assertThat(refused).isNotNull().hasMessageContaining("is a superuser").hasMessageContaining("storage.postgres.app_role");
    } finally {
      direct.close();
    }
  }

  @Test
  @DisplayName("with row-level security on, statements as a login that owns the tables are refused: it could turn the policies off")
  void tableOwnerRefused() throws Exception {
    try (TestDatabase other = TestDatabase.create(); java.sql.Connection c = other.connect(); java.sql.Statement st = c.createStatement()) {
      st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentos_test_owner') THEN "
          + "CREATE ROLE agentos_test_owner LOGIN; END IF; END $$");
      AgentOsConfig.Postgres owner = ConfigLoader.fromJson(new JsonObject().put("storage", new JsonObject().put("postgres",
          other.postgresConfig().put("user", "agentos_test_owner").put("app_role", "").put("pool_size", 1))), Map.of()).postgres();
      Migrations.migrate(PostgresTarget.fromConfig(ConfigLoader.fromJson(new JsonObject().put("storage", new JsonObject()
          .put("postgres", other.postgresConfig())), Map.of()).postgres()).orElseThrow(), "agentos_app");
      st.execute("ALTER TABLE sessions OWNER TO agentos_test_owner");
      Pool direct = StorageVerticle.createPool(vertx, owner, PostgresTarget.fromConfig(owner).orElseThrow(), "rls-owner");
      try {
        Throwable refused = ScopedClient.requireSubjectToPolicies(direct).toCompletionStage().toCompletableFuture()
            .handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
        assertThat(refused).isNotNull().hasMessageContaining("owns the tables");
      } finally {
        direct.close();
      }
    }
  }

  @Test
  @DisplayName("a role the login may not take fails the connection instead of running as the login")
  void roleNotTakenFailsClosed() throws Exception {
    AgentOsConfig.Postgres other = config(new JsonObject().put("app_role", "agentos_no_such_role")).postgres();
    Pool direct = StorageVerticle.createPool(vertx, other, PostgresTarget.fromConfig(other).orElseThrow(), "rls-norole");
    try {
      Throwable failed = direct.query("SELECT 1").execute().toCompletionStage().toCompletableFuture()
          .handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
      assertThat(failed).isNotNull().hasMessageContaining("agentos_no_such_role");
    } finally {
      direct.close();
    }
  }

  @Test
  @DisplayName("with row-level security off, statements run as the login, the forced policies are told so, and every row is seen")
  void offMeansTold() throws Exception {
    AgentOsConfig.Postgres off = config(new JsonObject().put("row_level_security", false)).postgres();
    Pool plain = StorageVerticle.createPool(vertx, off, PostgresTarget.fromConfig(off).orElseThrow(), "rls-off");
    try {
      Row r = await(plain.query("SELECT current_user AS role, current_setting('agentos.scope', true) AS scope, "
          + "(SELECT count(DISTINCT tenant_id) FROM sessions) AS tenants").execute()).iterator().next();
      assertThat(r.getString("role")).isEqualTo(off.user().orElse("postgres"));
      assertThat(r.getString("scope")).isEqualTo("all");
      assertThat(r.getLong("tenants")).isEqualTo(2);
    } finally {
      plain.close();
    }
  }
}
