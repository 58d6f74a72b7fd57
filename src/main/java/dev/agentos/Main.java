package dev.agentos;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.agentos.authn.TokenSigner;
import dev.agentos.cluster.ClusterNode;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar agentos.jar} runs the service; {@code token} and {@code keygen} are the self-hosting
 * tools. Exit codes: 0 ok, 1 runtime failure, 2 configuration or usage error.
 */
@Command(name = "agentos", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    subcommands = {Main.TokenCommand.class, Main.KeygenCommand.class, Main.ClusterCredentialsCommand.class, CommandLine.HelpCommand.class},
    description = "AgentOS for the JVM. Without a subcommand: run the service (config from $AGENTOS_CONFIG, default conf/config.yaml).")
public final class Main implements Callable<Integer> {
  public static final int EXIT_CONFIG = 2;

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setParameterExceptionHandler((ex, a) -> {
      System.err.println(ex.getMessage());
      return EXIT_CONFIG;
    });
    int code = cli.execute(args);
    if (code != 0 || args.length > 0) System.exit(code);
  }

  @Override
  public Integer call() {
    return serve(System.getenv());
  }

  /** The HTTP host:port being started, for a start-up failure message that names it. */
  private static final java.util.concurrent.atomic.AtomicReference<String> RUNNING_HTTP = new java.util.concurrent.atomic.AtomicReference<>();

  static int serve(Map<String, String> env) {
    // Config is read with a short-lived plain instance: whether the real one is clustered depends on it.
    Vertx bootstrap = Vertx.vertx();
    AgentOsConfig config;
    try {
      config = ConfigLoader.load(bootstrap, env).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      return fail(bootstrap, e);
    }
    bootstrap.close();
    if (config.os().devMode() && !config.authorization().hasJwtSource() && config.cluster().enabled()) {
      // every node would generate its own secret and refuse the others' tokens
      return fail(null, new ConfigException("os.dev_mode",
          "cannot generate a dev secret on a cluster node; configure authorization.verification_keys (the same on every node)"));
    }
    setLogLevel(config.logging().level());
    RUNNING_HTTP.set(config.http().host() + ":" + config.http().port()
        + (config.cluster().enabled() ? " (cluster " + config.cluster().host() + ":" + config.cluster().port() + ", event bus "
            + config.cluster().host() + ":" + config.cluster().eventBusPort() + ")" : ""));
    ClusterNode node;
    try {
      node = ClusterNode.start(config, AgentOsServer.vertxOptions(AgentOsServer.METRICS_REGISTRY), AgentOsServer.METRICS_REGISTRY);
    } catch (Exception e) {
      return fail(null, e);
    }
    Vertx vertx = node.vertx();
    Optional<String> devToken = Optional.empty();
    if (config.os().devMode() && !config.authorization().hasJwtSource()) {
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      config = config.withDevSecret(Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
      devToken = Optional.of(devAdminToken(config));
    }
    AgentOsServer server;
    try {
      server = AgentOsServer.start(vertx, config, AgentOsServer.METRICS_REGISTRY, node.identity()).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      return fail(vertx, e);
    }
    AgentOsConfig running = config;
    devToken.ifPresent(token -> printDevBanner(running, token));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      org.slf4j.Logger log = LoggerFactory.getLogger(Main.class);
      log.info("shutting down: not ready, draining in-flight requests (up to {} s)", running.http().shutdownTimeoutSeconds());
      try {
        server.stop().toCompletionStage().toCompletableFuture()
            .get(running.http().shutdownTimeoutSeconds() + 5L, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("verticles did not stop cleanly: {}", e.toString());
      }
      try {
        node.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        if (running.cluster().enabled()) log.info("left the cluster");
      } catch (Exception e) {
        log.warn("Vert.x did not close cleanly: {}", e.toString());
      }
    }, "agentos-shutdown"));
    return 0;
  }

  private static int fail(Vertx vertx /* nullable */, Throwable e) {
    Throwable cause = e;
    while ((cause instanceof java.util.concurrent.ExecutionException || cause instanceof java.util.concurrent.CompletionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (vertx != null) vertx.close();
    if (cause instanceof ConfigException) {
      System.err.println("config error: " + cause.getMessage());
      return EXIT_CONFIG;
    }
    java.net.BindException bind = null;
    for (Throwable t = e; t != null && bind == null; t = t.getCause()) if (t instanceof java.net.BindException b) bind = b;
    if (bind != null && RUNNING_HTTP.get() != null) {
      System.err.println("start-up failed: cannot listen on " + RUNNING_HTTP.get() + ": " + bind.getMessage()
          + " (another process has the port; set http.port / AGENTOS_HTTP_PORT, or cluster.port / cluster.event_bus_port)");
      return 1;
    }
    System.err.println("start-up failed: " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
    return 1;
  }

  private static void setLogLevel(String level) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
      ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level));
    }
  }

  private static String devAdminToken(AgentOsConfig config) {
    long now = System.currentTimeMillis() / 1000;
    JsonObject claims = new JsonObject().put("sub", "dev-admin").put("iat", now).put("exp", now + Duration.ofHours(12).toSeconds())
        .put("scopes", new JsonArray().add(config.authorization().adminScope()));
    config.os().id().ifPresent(id -> claims.put("aud", id));
    return TokenSigner.sign("HS256", TokenSigner.hmacKey(config.authorization().verificationKeys().get(0)), Optional.empty(), claims);
  }

  private static void printDevBanner(AgentOsConfig config, String token) {
    System.out.println();
    System.out.println("==> DEV MODE: no verification key configured, so a random HS256 secret was generated for this run.");
    System.out.println("    It is not saved; restart and every token is invalid. Never use dev mode in production.");
    System.out.println("    Admin token (sub=dev-admin, scope " + config.authorization().adminScope() + ", valid 12h):");
    System.out.println();
    System.out.println("    " + token);
    System.out.println();
    System.out.println("    curl -H \"Authorization: Bearer $TOKEN\" http://localhost:" + config.http().port() + "/config");
    System.out.println();
  }

  /** {@code --version}: the jar's Implementation-Version, written by the build. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"agentos " + (version == null ? "(development build)" : version)
          + ", Java " + System.getProperty("java.version")};
    }
  }

  @Command(name = "token", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, showDefaultValues = true,
      description = "Print a signed JWT.")
  static final class TokenCommand implements Callable<Integer> {
    @Option(names = "--alg", defaultValue = "HS256", description = "HS256/384/512, RS*, PS*, ES*, EdDSA") String alg;
    @Option(names = "--key", required = true, description = "HMAC secret (at least 16 bytes, 32 recommended), or path of a PKCS#8 PEM private key") String key;
    @Option(names = "--sub", description = "subject (user id); none unless given") String sub;
    @Option(names = "--scopes", defaultValue = "", description = "space-separated scopes") String scopes;
    @Option(names = "--roles", defaultValue = "", description = "space-separated role names") String roles;
    @Option(names = "--ttl", defaultValue = "1h", description = "lifetime: 30s, 15m, 1h, 7d") String ttl;
    @Option(names = "--aud", description = "audience") String aud;
    @Option(names = "--iss", description = "issuer") String iss;
    @Option(names = "--kid", description = "key id header") String kid;
    @Option(names = "--claim", description = "extra claim k=v (v parsed as JSON when it is JSON)") List<String> extra = List.of();

    @Override
    public Integer call() throws Exception {
      Key signingKey;
      if (alg.startsWith("HS")) {
        Path p = Path.of(key);
        String secret = Files.isRegularFile(p) ? Files.readString(p, StandardCharsets.UTF_8).strip() : key;
        int bytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < dev.agentos.authn.impl.KeyParser.MIN_HMAC_SECRET_BYTES) {
          // the service refuses such a secret at start-up: a token signed with it could never be verified
          System.err.println("--key: an HMAC secret of " + bytes + " bytes is too short; the service needs at least "
              + dev.agentos.authn.impl.KeyParser.MIN_HMAC_SECRET_BYTES + " (32 recommended)");
          return EXIT_CONFIG;
        }
        signingKey = TokenSigner.hmacKey(secret);
      } else {
        signingKey = TokenSigner.privateKeyFromPem(Files.readString(Path.of(key), StandardCharsets.UTF_8));
      }
      long now = System.currentTimeMillis() / 1000;
      JsonObject claims = new JsonObject().put("iat", now).put("exp", now + parseTtl(ttl));
      if (sub != null) claims.put("sub", sub);
      if (!scopes.isBlank()) claims.put("scopes", new JsonArray(List.of(scopes.trim().split("\\s+"))));
      if (!roles.isBlank()) claims.put("roles", new JsonArray(List.of(roles.trim().split("\\s+"))));
      if (aud != null) claims.put("aud", aud);
      if (iss != null) claims.put("iss", iss);
      for (String kv : extra) {
        int eq = kv.indexOf('=');
        if (eq <= 0) throw new CommandLine.ParameterException(new CommandLine(this), "--claim expects k=v");
        String v = kv.substring(eq + 1);
        Object value;
        try {
          value = io.vertx.core.json.Json.decodeValue(v);
        } catch (RuntimeException notJson) {
          value = v;
        }
        claims.put(kv.substring(0, eq), value);
      }
      System.out.println(TokenSigner.sign(alg, signingKey, Optional.ofNullable(kid), claims));
      return 0;
    }

    static long parseTtl(String ttl) {
      long n = Long.parseLong(ttl.substring(0, ttl.length() - 1));
      return switch (ttl.charAt(ttl.length() - 1)) {
        case 's' -> n;
        case 'm' -> n * 60;
        case 'h' -> n * 3600;
        case 'd' -> n * 86400;
        default -> throw new IllegalArgumentException("--ttl like 30s, 15m, 1h or 7d");
      };
    }
  }

  @Command(name = "keygen", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, showDefaultValues = true,
      description = "Write private.pem (PKCS#8), public.pem (SPKI) and jwks.json into a directory.")
  static final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--alg", defaultValue = "RS256", description = "RS*, PS*, ES256/384/512 or EdDSA") String alg;
    @Option(names = "--out", required = true, description = "directory to write into") Path out;
    @Option(names = "--kid", description = "key id (default: random)") String kid;

    @Override
    public Integer call() throws Exception {
      KeyPair pair = TokenSigner.generate(alg);
      String keyId = kid != null ? kid : UUID.randomUUID().toString();
      Files.createDirectories(out);
      Path priv = out.resolve("private.pem");
      Files.writeString(priv, TokenSigner.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      if (Files.getFileStore(priv).supportsFileAttributeView("posix")) {
        Files.setPosixFilePermissions(priv, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      }
      Files.writeString(out.resolve("public.pem"), TokenSigner.pem("PUBLIC KEY", pair.getPublic().getEncoded()));
      JsonObject jwks = new JsonObject().put("keys", new JsonArray().add(TokenSigner.publicJwk(pair.getPublic(), alg, keyId)));
      Files.writeString(out.resolve("jwks.json"), jwks.encodePrettily() + "\n");
      System.out.println("wrote " + priv + ", " + out.resolve("public.pem") + ", " + out.resolve("jwks.json") + " (kid " + keyId + ")");
      return 0;
    }
  }

  @Command(name = "cluster-credentials", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
      description = {"Create a cluster CA and one node's credentials, or issue another node's from an existing CA.",
          "Without --ca: writes a new CA into DIR/ca/ (ca.pem, ca-key.pem: keep ca-key.pem off the nodes) and the node's "
              + "credentials into DIR/NODE/. With --ca CADIR: writes only DIR/NODE/, issued by that CA.",
          "A node's cluster.security.credentials_dir is its DIR/NODE/ (ca.pem, node.pem, node-key.pem). Files are 0600."})
  static final class ClusterCredentialsCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "directory to write into") Path out;
    @Option(names = "--ca", description = "an existing CA directory (ca.pem, ca-key.pem) to issue from") Path ca;
    @Option(names = "--node", defaultValue = "node-1", description = "the node's name (certificate CN; default ${DEFAULT-VALUE})") String node;
    @Option(names = "--cluster", defaultValue = "agentos", description = "cluster name written into a new CA (default ${DEFAULT-VALUE})") String cluster;
    @Option(names = "--days", defaultValue = "365", description = "node certificate validity in days (default ${DEFAULT-VALUE})") int days;
    @Option(names = "--ca-days", defaultValue = "3650", description = "new CA validity in days (default ${DEFAULT-VALUE})") int caDays;

    @Override
    public Integer call() {
      if (!node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
        System.err.println("--node: letters, digits, '.', '_' and '-' only (at most 63)");
        return EXIT_CONFIG;
      }
      if (days < 1 || caDays < 1) {
        System.err.println("--days and --ca-days must be at least 1");
        return EXIT_CONFIG;
      }
      Path caDir = ca;
      if (caDir == null) {
        caDir = out.resolve("ca");
        if (Files.exists(caDir.resolve(dev.agentos.cluster.ClusterCredentials.CA_KEY_FILE))) {
          System.err.println(caDir + " already holds a CA; use --ca " + caDir + " to issue from it");
          return EXIT_CONFIG;
        }
        dev.agentos.cluster.CredentialsIssuer.createCa(caDir, cluster, Duration.ofDays(caDays));
        System.out.println("wrote a new cluster CA to " + caDir + " (keep ca-key.pem off the nodes)");
      } else if (!Files.isReadable(caDir.resolve(dev.agentos.cluster.ClusterCredentials.CA_KEY_FILE))) {
        System.err.println("--ca " + caDir + ": no readable ca-key.pem there");
        return EXIT_CONFIG;
      }
      Path nodeDir = out.resolve(node);
      try {
        dev.agentos.cluster.CredentialsIssuer.issueNode(caDir, nodeDir, node, Duration.ofDays(days));
        dev.agentos.cluster.ClusterCredentials.load(nodeDir); // the service will accept what we wrote
      } catch (RuntimeException e) {
        System.err.println("cluster-credentials: " + e.getMessage());
        return 1;
      }
      System.out.println("wrote node credentials for '" + node + "' to " + nodeDir
          + " (set cluster.security.credentials_dir: " + nodeDir.toAbsolutePath() + ")");
      return 0;
    }
  }
}
