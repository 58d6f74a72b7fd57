package dev.agentos.storage.impl;

import dev.agentos.storage.PostgresTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;

/**
 * Applies the SQL files under {@code db/migration} with Flyway. Blocking (JDBC): always called from a
 * worker thread. Flyway takes a PostgreSQL advisory lock, so several instances or nodes migrating at once
 * is safe, and re-running an applied migration set is a no-op.
 */
public final class Migrations {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Migrations.class);
  private Migrations() {}

  /** What a migration run did: how many migrations it applied, and the schema version now in place. */
  public record Outcome(int applied, String schemaVersion) {}

  /** @param appRole the role the service's statements run as ({@code storage.postgres.app_role}; empty: the login) */
  public static Outcome migrate(PostgresTarget target, String appRole) {
    return migrate(target, appRole, null);
  }

  /** Up to and including {@code version} only (null: every migration); for upgrade tests. */
  public static Outcome migrate(PostgresTarget target, String appRole, String version) {
    if (target.createIfMissing()) createIfMissing(target);
    org.flywaydb.core.api.configuration.FluentConfiguration configuration = Flyway.configure()
        .dataSource(target.jdbcUrl(), target.user(), target.password().orElse(null))
        .locations("classpath:db/migration")
        .placeholders(java.util.Map.of("app_role", appRole));
    if (version != null) configuration.target(version);
    Flyway flyway = configuration
        .connectRetries(0)
        .load();
    int applied = flyway.migrate().migrationsExecuted;
    MigrationInfo current = flyway.info().current();
    return new Outcome(applied, current == null ? "" : current.getVersion().getVersion());
  }

  /** SQLSTATE invalid_catalog_name: the database does not exist. */
  private static final String NO_SUCH_DATABASE = "3D000";
  /** SQLSTATE duplicate_database: another node or instance created it first. */
  private static final String DATABASE_EXISTS = "42P04";

  /**
   * The default database (nobody named one) is created on first start, through the server's maintenance
   * database; the name is ours ({@link PostgresTarget#DEFAULT_DATABASE}), never caller input.
   */
  private static void createIfMissing(PostgresTarget target) {
    String password = target.password().orElse(null);
    try (Connection probe = DriverManager.getConnection(target.jdbcUrl(), target.user(), password)) {
      return;
    } catch (SQLException e) {
      if (!NO_SUCH_DATABASE.equals(e.getSQLState())) return; // Flyway reports every other failure
    }
    try (Connection admin = DriverManager.getConnection(target.jdbcUrl("postgres"), target.user(), password);
         Statement create = admin.createStatement()) {
      create.execute("CREATE DATABASE \"" + target.database() + "\"");
      log.info("created database {} (storage.postgres.database was not set)", target.database());
    } catch (SQLException e) {
      if (DATABASE_EXISTS.equals(e.getSQLState())) return;
      throw new IllegalStateException("database " + target.database() + " does not exist and could not be created ("
          + e.getMessage() + "); create it, or set storage.postgres.database (or PGDATABASE)", e);
    }
  }
}
