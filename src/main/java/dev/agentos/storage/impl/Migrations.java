package dev.agentos.storage.impl;

import dev.agentos.storage.PostgresTarget;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;

/**
 * Applies the SQL files under {@code db/migration} with Flyway. Blocking (JDBC): always called from a
 * worker thread. Flyway takes a PostgreSQL advisory lock, so several instances or nodes migrating at once
 * is safe, and re-running an applied migration set is a no-op.
 */
public final class Migrations {
  private Migrations() {}

  /** What a migration run did: how many migrations it applied, and the schema version now in place. */
  public record Outcome(int applied, String schemaVersion) {}

  public static Outcome migrate(PostgresTarget target) {
    Flyway flyway = Flyway.configure()
        .dataSource(target.jdbcUrl(), target.user(), target.password().orElse(null))
        .locations("classpath:db/migration")
        .connectRetries(0)
        .load();
    int applied = flyway.migrate().migrationsExecuted;
    MigrationInfo current = flyway.info().current();
    return new Outcome(applied, current == null ? "" : current.getVersion().getVersion());
  }
}
