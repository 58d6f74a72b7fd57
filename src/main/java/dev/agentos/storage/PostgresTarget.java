package dev.agentos.storage;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.util.Optional;

/**
 * Where the database is: resolved once from the config (url, then host/libpq values, then embedded).
 * Used both by the reactive pool and by Flyway's JDBC connection, so they always agree.
 */
public record PostgresTarget(String host, int port, String database, String user, Optional<String> password,
                             SslMode sslMode) {

  /** Resolves a configured server; empty when none is configured (the caller may then start embedded). */
  public static Optional<PostgresTarget> fromConfig(AgentOsConfig.Postgres pg) {
    if (pg.url().isPresent()) {
      PgConnectOptions parsed;
      try {
        parsed = PgConnectOptions.fromUri(pg.url().get());
      } catch (RuntimeException e) {
        throw new ConfigException("storage.postgres.url", "not a valid postgresql:// URL");
      }
      return Optional.of(new PostgresTarget(parsed.getHost(), parsed.getPort(),
          Optional.ofNullable(parsed.getDatabase()).filter(s -> !s.isEmpty()).orElse("postgres"),
          Optional.ofNullable(parsed.getUser()).filter(s -> !s.isEmpty()).orElse("postgres"),
          Optional.ofNullable(parsed.getPassword()).filter(s -> !s.isEmpty()),
          parsed.getSslMode() == null ? SslMode.DISABLE : parsed.getSslMode()));
    }
    if (pg.host().isPresent()) {
      return Optional.of(new PostgresTarget(pg.host().get(), pg.port(), pg.database().orElse("postgres"),
          pg.user().orElse("postgres"), pg.password(), SslMode.DISABLE));
    }
    return Optional.empty();
  }

  public PgConnectOptions connectOptions() {
    PgConnectOptions options = new PgConnectOptions().setHost(host).setPort(port).setDatabase(database).setUser(user)
        .setCachePreparedStatements(true).setSslMode(sslMode)
        .setReconnectAttempts(0);
    password.ifPresent(options::setPassword);
    return options;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database + "?sslmode=" + sslMode.value
        + "&connectTimeout=5&ApplicationName=agentos-migrations";
  }

  @Override
  public String toString() {
    return user + "@" + host + ":" + port + "/" + database;
  }
}
