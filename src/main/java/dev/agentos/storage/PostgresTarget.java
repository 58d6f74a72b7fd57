package dev.agentos.storage;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.util.Optional;

/**
 * Where the database is: resolved once from the config (url, then host/libpq values, then embedded).
 * Used both by the reactive pool and by Flyway's JDBC connection, so they always agree. A database nobody named
 * is {@link #DEFAULT_DATABASE}, created at the first start ({@code createIfMissing}); a named one must exist.
 */
public record PostgresTarget(String host, int port, String database, String user, Optional<String> password,
                             SslMode sslMode, boolean createIfMissing) {
  /** Never the server's {@code postgres} database: that is the server's own, not a place for our tables. */
  public static final String DEFAULT_DATABASE = "agentos";

  /** Resolves a configured server; empty when none is configured (the caller may then start embedded). */
  public static Optional<PostgresTarget> fromConfig(AgentOsConfig.Postgres pg) {
    if (pg.url().isPresent()) {
      PgConnectOptions parsed;
      try {
        parsed = PgConnectOptions.fromUri(pg.url().get());
      } catch (RuntimeException e) {
        throw new ConfigException("storage.postgres.url", "not a valid postgresql:// URL");
      }
      // Vert.x fills what the url leaves out with its own defaults (database "db", user "user"): read from the url
      // itself whether it names them
      java.net.URI uri;
      try {
        uri = java.net.URI.create(pg.url().get());
      } catch (IllegalArgumentException e) {
        throw new ConfigException("storage.postgres.url", "not a valid postgresql:// URL");
      }
      boolean namesDatabase = uri.getRawPath() != null && uri.getRawPath().length() > 1;
      boolean namesUser = uri.getRawUserInfo() != null && !uri.getRawUserInfo().isEmpty() && !uri.getRawUserInfo().startsWith(":");
      Optional<String> database = namesDatabase ? Optional.of(parsed.getDatabase()) : pg.database();
      return Optional.of(new PostgresTarget(parsed.getHost(), parsed.getPort(), database.orElse(DEFAULT_DATABASE),
          namesUser ? parsed.getUser() : pg.user().orElse("postgres"),
          Optional.ofNullable(parsed.getPassword()).filter(s -> !s.isEmpty()),
          parsed.getSslMode() == null ? SslMode.DISABLE : parsed.getSslMode(), database.isEmpty()));
    }
    if (pg.host().isPresent()) {
      return Optional.of(new PostgresTarget(pg.host().get(), pg.port(), pg.database().orElse(DEFAULT_DATABASE),
          pg.user().orElse("postgres"), pg.password(), SslMode.DISABLE, pg.database().isEmpty()));
    }
    return Optional.empty();
  }

  public PgConnectOptions connectOptions() {
    PgConnectOptions options = new PgConnectOptions().setHost(host).setPort(port).setDatabase(database).setUser(user)
        // every statement stays prepared on its connection: the default cache skips statements over 2,048 characters,
        // and a listing that builds its page as JSON text is close to that
        .setCachePreparedStatements(true).setPreparedStatementCacheSqlLimit(16_384).setSslMode(sslMode)
        .setReconnectAttempts(0);
    password.ifPresent(options::setPassword);
    return options;
  }

  public String jdbcUrl() {
    return jdbcUrl(database);
  }

  /** The same server, another database (the maintenance database, to create ours). */
  public String jdbcUrl(String databaseName) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + databaseName + "?sslmode=" + sslMode.value
        + "&connectTimeout=5&ApplicationName=agentos-migrations";
  }

  @Override
  public String toString() {
    return user + "@" + host + ":" + port + "/" + database;
  }
}
