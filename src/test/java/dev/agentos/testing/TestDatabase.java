package dev.agentos.testing;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A fresh, empty database for one test class. The server is found in this order: the libpq variables
 * (PGHOST, PGPORT, PGUSER, PGPASSWORD), else 127.0.0.1:5432 as user postgres; if that does not answer and a
 * Docker engine is available, a Testcontainers PostgreSQL. Otherwise the test fails, naming both options:
 * no database is never a silent skip.
 */
public final class TestDatabase implements AutoCloseable {
  private static Server server;

  private record Server(String host, int port, String user, String password, String adminDb) {
    Connection connect(String db) throws SQLException {
      Properties props = new Properties();
      props.setProperty("user", user);
      if (password != null) props.setProperty("password", password);
      props.setProperty("connectTimeout", "5");
      return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + db, props);
    }
  }

  private final String name;

  private TestDatabase(String name) {
    this.name = name;
  }

  public static synchronized TestDatabase create() {
    Server s = server();
    String name = "agentos_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    try (Connection c = s.connect(s.adminDb()); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new AssertionError("cannot create a test database on " + s.host() + ":" + s.port() + ": " + e.getMessage(), e);
    }
    return new TestDatabase(name);
  }

  private static Server server() {
    if (server != null) return server;
    Map<String, String> env = System.getenv();
    String host = env.getOrDefault("PGHOST", "127.0.0.1");
    int port = Integer.parseInt(env.getOrDefault("PGPORT", "5432"));
    String user = env.getOrDefault("PGUSER", "postgres");
    String password = env.get("PGPASSWORD");
    Server local = new Server(host, port, user, password, "postgres");
    try (Connection ignored = local.connect("postgres")) {
      server = local;
      return server;
    } catch (SQLException localFailure) {
      boolean docker;
      try {
        docker = DockerClientFactory.instance().isDockerAvailable();
      } catch (Throwable t) {
        docker = false;
      }
      if (!docker) {
        throw new AssertionError("No PostgreSQL for the tests: " + host + ":" + port + " as " + user
            + " refused (" + localFailure.getMessage() + ") and no Docker engine is available for Testcontainers. "
            + "Start a server (or set PGHOST/PGPORT/PGUSER/PGPASSWORD), or run Docker.");
      }
      PostgreSQLContainer container = new PostgreSQLContainer("postgres:16-alpine");
      container.start();
      server = new Server(container.getHost(), container.getFirstMappedPort(), container.getUsername(),
          container.getPassword(), container.getDatabaseName());
      return server;
    }
  }

  public String name() {
    return name;
  }

  public String host() {
    return server.host();
  }

  public int port() {
    return server.port();
  }

  /** The {@code storage.postgres} config section for this database. */
  public JsonObject postgresConfig() {
    JsonObject pg = new JsonObject().put("host", server.host()).put("port", server.port()).put("database", name)
        .put("user", server.user()).put("pool_size", 4);
    if (server.password() != null) pg.put("password", server.password());
    return pg;
  }

  /** The {@code storage.postgres} section pointing at this database through a proxy the test controls. */
  public JsonObject postgresConfigVia(TcpProxy proxy) {
    return postgresConfig().put("host", "127.0.0.1").put("port", proxy.port());
  }

  /** A JDBC connection to this database, for assertions. */
  public Connection connect() throws SQLException {
    return server.connect(name);
  }

  @Override
  public void close() {
    try (Connection c = server.connect(server.adminDb()); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      // best effort: a leftover empty test database is harmless
    }
  }
}
