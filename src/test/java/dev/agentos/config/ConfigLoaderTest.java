package dev.agentos.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Configuration loading and validation")
class ConfigLoaderTest {

  private static JsonObject yaml(String json) {
    return new JsonObject(json);
  }

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of("an unknown top-level key", "{\"nope\": 1}", Map.of(), "nope: unknown key"),
        Arguments.of("an unknown key in a section", "{\"http\": {\"prot\": 80}}", Map.of(), "http.prot: unknown key"),
        Arguments.of("a string where a number belongs", "{\"http\": {\"port\": \"80\"}}", Map.of(), "http.port: expected an integer, got a string"),
        Arguments.of("a port above 65535", "{\"http\": {\"port\": 70000}}", Map.of(), "http.port: must be between 1 and 65535, got 70000"),
        Arguments.of("a negative port", "{\"http\": {\"port\": -1}}", Map.of(), "http.port: must be between 1 and 65535, got -1"),
        Arguments.of("a number where a boolean belongs", "{\"authorization\": {\"enabled\": 1}}", Map.of(), "authorization.enabled: expected true or false, got a number"),
        Arguments.of("a section given as a scalar", "{\"http\": 7}", Map.of(), "http: expected a mapping of keys"),
        Arguments.of("an unsupported algorithm", "{\"authorization\": {\"algorithms\": [\"none\"]}}", Map.of(), "authorization.algorithms: unsupported algorithm 'none'"),
        Arguments.of("an unknown token source", "{\"authorization\": {\"token_source\": \"query\"}}", Map.of(), "authorization.token_source: expected one of [header, cookie, both]"),
        Arguments.of("a malformed scope mapping key", "{\"authorization\": {\"scope_mappings\": {\"agents\": []}}}", Map.of(), "authorization.scope_mappings.agents: expected a key of the form \"METHOD /path\""),
        Arguments.of("a bad env boolean", "{}", Map.of("AGENTOS_AUTHORIZATION_ENABLED", "yes"), "AGENTOS_AUTHORIZATION_ENABLED (authorization.enabled): expected true or false"),
        Arguments.of("a bad env port", "{}", Map.of("AGENTOS_HTTP_PORT", "eighty"), "AGENTOS_HTTP_PORT (http.port): expected an integer"),
        Arguments.of("a non-postgres url", "{\"storage\": {\"postgres\": {\"url\": \"mysql://x\"}}}", Map.of(), "storage.postgres.url: must start with postgresql://"),
        Arguments.of("a partial placement outside a cluster", "{\"cluster\": {\"verticles\": [\"http\"]}}", Map.of(), "cluster.verticles: a node outside a cluster must run every verticle"),
        Arguments.of("an unknown verticle", "{\"cluster\": {\"enabled\": true, \"verticles\": [\"http\", \"cache\"]}}", Map.of(), "cluster.verticles: unknown verticle 'cache'"),
        Arguments.of("no verticle at all", "{\"cluster\": {\"enabled\": true, \"verticles\": []}}", Map.of(), "cluster.verticles: must name at least one of"),
        Arguments.of("a verticle listed twice", "{}", Map.of("AGENTOS_CLUSTER_ENABLED", "true", "AGENTOS_CLUSTER_VERTICLES", "http,HTTP"), "cluster.verticles: 'http' is listed twice"),
        Arguments.of("a member without a port", "{\"cluster\": {\"enabled\": true, \"members\": [\"10.0.0.2\"]}}", Map.of(), "cluster.members: expected host:port items, got '10.0.0.2'"),
        Arguments.of("a member with a port range", "{\"cluster\": {\"members\": [\"10.0.0.2:5701-5703\"]}}", Map.of(), "cluster.members: expected host:port items"),
        Arguments.of("a member port above 65535", "{\"cluster\": {\"members\": [\"10.0.0.2:70000\"]}}", Map.of(), "cluster.members: expected host:port items"),
        Arguments.of("kubernetes discovery without the service name", "{\"cluster\": {\"enabled\": true, \"discovery\": \"kubernetes\"}}", Map.of(), "cluster.kubernetes_service_dns: required with discovery: kubernetes"),
        Arguments.of("multicast discovery", "{\"cluster\": {\"discovery\": \"multicast\"}}", Map.of(), "cluster.discovery: expected one of [tcp, kubernetes]"),
        Arguments.of("an unreachable public host", "{\"cluster\": {\"enabled\": true, \"host\": \"0.0.0.0\"}}", Map.of(), "cluster.public_host: 0.0.0.0 cannot be reached"),
        Arguments.of("embedded PostgreSQL on a cluster node", "{\"cluster\": {\"enabled\": true}, \"storage\": {\"postgres\": {\"embedded\": true}}}", Map.of(), "storage.postgres.embedded: cannot be used on a cluster node"),
        Arguments.of("a cluster port equal to the HTTP port", "{\"cluster\": {\"enabled\": true, \"port\": 7777}}", Map.of(), "cluster.port: cluster.port and cluster.event_bus_port must differ from http.port"),
        Arguments.of("one port for the member and the event bus", "{\"cluster\": {\"port\": 5801}}", Map.of(), "cluster.event_bus_port: must differ from cluster.port"),
        Arguments.of("an empty tenant claim", "{\"authorization\": {\"tenant_id_claim\": \" \"}}", Map.of(), "authorization.tenant_id_claim: must not be empty"),
        Arguments.of("tenants without verified tokens", "{\"authorization\": {\"tenant_id_claim\": \"org\"}}", Map.of(), "authorization.tenant_id_claim: needs verified tokens"),
        Arguments.of("tenants with unverified tokens", "{\"authorization\": {\"validate\": false, \"verification_keys\": [\"k\"], \"tenant_id_claim\": \"org\"}}", Map.of(), "authorization.tenant_id_claim: needs verified tokens"),
        Arguments.of("a platform admin scope without tenants", "{\"authorization\": {\"platform_admin_scope\": \"platform:admin\"}}", Map.of(), "authorization.platform_admin_scope: needs authorization.tenant_id_claim"),
        Arguments.of("a platform admin scope equal to the admin scope", "{\"authorization\": {\"verification_keys\": [\"k\"], \"tenant_id_claim\": \"org\", \"platform_admin_scope\": \"agent_os:admin\"}}", Map.of(), "authorization.platform_admin_scope: must differ from authorization.admin_scope"),
        Arguments.of("an application role that is not a plain role name", "{\"storage\": {\"postgres\": {\"app_role\": \"app\\\"; DROP\"}}}", Map.of(), "storage.postgres.app_role: must be a role name"),
        Arguments.of("a platform admin scope in roles-only mode", "{\"authorization\": {\"verification_keys\": [\"k\"], \"tenant_id_claim\": \"org\", \"platform_admin_scope\": \"platform:admin\", \"trust_token_scopes\": false}}", Map.of(), "authorization.platform_admin_scope: is a token scope"),
        Arguments.of("an application role in upper case", "{}", Map.of("AGENTOS_STORAGE_POSTGRES_APP_ROLE", "Agentos"), "storage.postgres.app_role: must be a role name"));
  }

  @ParameterizedTest(name = "{0} is a start-up error naming the key")
  @MethodSource("rejected")
  void rejectsBadConfig(String what, String file, Map<String, String> env, String message) {
    assertThatThrownBy(() -> ConfigLoader.fromJson(yaml(file), env))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  @DisplayName("an empty file gives the documented defaults")
  void defaults() {
    AgentOsConfig c = ConfigLoader.fromJson(new JsonObject(), Map.of());
    assertThat(c.http().port()).isEqualTo(7777);
    assertThat(c.http().maxBodyBytes()).isEqualTo(1_048_576);
    assertThat(c.authorization().enabled()).isTrue();
    assertThat(c.authorization().validate()).isTrue();
    assertThat(c.authorization().algorithms()).containsExactly("RS256");
    assertThat(c.authorization().leewaySeconds()).isEqualTo(10);
    assertThat(c.authorization().adminScope()).isEqualTo("agent_os:admin");
    assertThat(c.authorization().excludedRoutePaths()).contains("/", "/health", "/info", "/docs", "/openapi.json");
    assertThat(c.os().devMode()).isFalse();
    assertThat(c.cluster().enabled()).isFalse();
    assertThat(c.cluster().verticles().isAll()).isTrue();
  }

  @Test
  @DisplayName("an AGENTOS_<SECTION>_<KEY> variable overrides the file")
  void envOverridesFile() {
    AgentOsConfig c = ConfigLoader.fromJson(yaml("{\"http\": {\"port\": 8000}, \"authorization\": {\"user_isolation\": false}}"),
        Map.of("AGENTOS_HTTP_PORT", "9000", "AGENTOS_AUTHORIZATION_USER_ISOLATION", "true",
            "AGENTOS_STORAGE_POSTGRES_POOL_SIZE", "3", "AGENTOS_AUTHORIZATION_ALGORITHMS", "HS256, ES256"));
    assertThat(c.http().port()).isEqualTo(9000);
    assertThat(c.authorization().userIsolation()).isTrue();
    assertThat(c.postgres().poolSize()).isEqualTo(3);
    assertThat(c.authorization().algorithms()).containsExactly("HS256", "ES256");
  }

  @Test
  @DisplayName("agno's JWT_VERIFICATION_KEY is appended to the configured keys, once")
  void agnoVerificationKeyEnv() {
    AgentOsConfig c = ConfigLoader.fromJson(yaml("{\"authorization\": {\"verification_keys\": [\"k1-0123456789abcdef\"]}}"),
        Map.of("JWT_VERIFICATION_KEY", "k2-0123456789abcdef"));
    assertThat(c.authorization().verificationKeys()).containsExactly("k1-0123456789abcdef", "k2-0123456789abcdef");
    AgentOsConfig same = ConfigLoader.fromJson(yaml("{\"authorization\": {\"verification_keys\": [\"k1-0123456789abcdef\"]}}"),
        Map.of("JWT_VERIFICATION_KEY", "k1-0123456789abcdef"));
    assertThat(same.authorization().verificationKeys()).containsExactly("k1-0123456789abcdef");
  }

  @Test
  @DisplayName("agno's OS_SECURITY_KEY selects security-key mode when no JWT source is set")
  void securityKeyMode() {
    AgentOsConfig c = ConfigLoader.fromJson(new JsonObject(), Map.of("OS_SECURITY_KEY", "s3cret"));
    assertThat(c.authorization().securityKey()).contains("s3cret");
    assertThat(c.authorization().authMode()).isEqualTo("security_key");
  }

  @Test
  @DisplayName("libpq variables are used when no url or host is configured")
  void libpqVariables() {
    AgentOsConfig c = ConfigLoader.fromJson(new JsonObject(),
        Map.of("PGHOST", "db.internal", "PGPORT", "6543", "PGUSER", "app", "PGDATABASE", "agents"));
    assertThat(c.postgres().host()).contains("db.internal");
    assertThat(c.postgres().port()).isEqualTo(6543);
    assertThat(c.postgres().user()).contains("app");
    assertThat(c.postgres().database()).contains("agents");
  }

  /** One row per rule of docs/configuration.md, "Where the database is": what is set, and where the database is. */
  static Stream<Arguments> databaseSources() {
    String host = "{\"storage\": {\"postgres\": {\"host\": \"db.file\"}}}";
    String url = "{\"storage\": {\"postgres\": {\"url\": \"postgresql://u@db.url:5433/d\"}}}";
    String dev = "{\"os\": {\"dev_mode\": true}}";
    String devHost = "{\"os\": {\"dev_mode\": true}, \"storage\": {\"postgres\": {\"host\": \"db.file\"}}}";
    String embeddedOff = "{\"os\": {\"dev_mode\": true}, \"storage\": {\"postgres\": {\"embedded\": false}}}";
    String embeddedOn = "{\"storage\": {\"postgres\": {\"embedded\": true}}}";
    Map<String, String> libpq = Map.of("PGHOST", "db.libpq", "PGPORT", "6543");
    return Stream.of(
        Arguments.of("a host in the file", host, Map.of(), "db.file", "storage.postgres.host"),
        Arguments.of("a url in the file", url, Map.of(), null, "storage.postgres.url"),
        Arguments.of("a host in the file beats the libpq variables", host, libpq, "db.file", "storage.postgres.host"),
        Arguments.of("AGENTOS_STORAGE_POSTGRES_HOST beats the file", host, Map.of("AGENTOS_STORAGE_POSTGRES_HOST", "db.env"), "db.env", "storage.postgres.host"),
        Arguments.of("an empty AGENTOS_STORAGE_POSTGRES_HOST unsets the file's host: the libpq variables apply", host,
            Map.of("AGENTOS_STORAGE_POSTGRES_HOST", "", "PGHOST", "db.libpq"), "db.libpq", "the libpq variables (PGHOST)"),
        Arguments.of("the libpq variables, nothing configured", "{}", libpq, "db.libpq", "the libpq variables (PGHOST, PGPORT)"),
        Arguments.of("PGPORT alone: the local server on that port", "{}", Map.of("PGPORT", "1"), "127.0.0.1", "the libpq variables (PGPORT)"),
        Arguments.of("the libpq variables beat dev mode's embedded server", dev, libpq, "db.libpq", "the libpq variables (PGHOST, PGPORT)"),
        Arguments.of("a configured host in dev mode: no embedded server", devHost, Map.of(), "db.file", "storage.postgres.host"),
        Arguments.of("dev mode, nothing configured: embedded", dev, Map.of(), null, "dev mode (no server configured)"),
        Arguments.of("embedded: true beats the libpq variables", embeddedOn, libpq, null, "storage.postgres.embedded"),
        Arguments.of("AGENTOS_STORAGE_POSTGRES_EMBEDDED=true, nothing configured", "{}", Map.of("AGENTOS_STORAGE_POSTGRES_EMBEDDED", "true"), null, "storage.postgres.embedded"),
        Arguments.of("embedded: false in dev mode: nothing (a config error at start)", embeddedOff, Map.of(), null, null),
        Arguments.of("no dev mode, nothing configured: nothing (a config error at start)", "{}", Map.of(), null, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databaseSources")
  @DisplayName("where the database is: explicit config, then the libpq variables, then dev mode's embedded server")
  void databaseSource(String what, String file, Map<String, String> env, String expectedHost, String expectedSource) {
    AgentOsConfig.Postgres pg = ConfigLoader.fromJson(yaml(file), env).postgres();
    assertThat(pg.source().orElse(null)).isEqualTo(expectedSource);
    boolean embedded = expectedSource != null && (expectedSource.startsWith("dev mode") || expectedSource.equals("storage.postgres.embedded"));
    assertThat(pg.embedded()).as("embedded").isEqualTo(embedded);
    if (expectedHost != null) assertThat(pg.host()).contains(expectedHost);
  }

  static Stream<Arguments> refusedDatabaseSettings() {
    return Stream.of(
        Arguments.of("an empty host in the file", "{\"storage\": {\"postgres\": {\"host\": \"\"}}}", Map.of(),
            "storage.postgres.host: must not be empty (an empty environment variable unsets it)"),
        Arguments.of("a blank url in the file", "{\"storage\": {\"postgres\": {\"url\": \" \"}}}", Map.of(),
            "storage.postgres.url: must not be empty"),
        Arguments.of("embedded: true with a host", "{\"storage\": {\"postgres\": {\"host\": \"db\", \"embedded\": true}}}", Map.of(),
            "storage.postgres.embedded: is true, but a server is configured too (storage.postgres.host): use one or the other"),
        Arguments.of("AGENTOS_STORAGE_POSTGRES_EMBEDDED=true with the file's host", "{\"storage\": {\"postgres\": {\"host\": \"db\"}}}",
            Map.of("AGENTOS_STORAGE_POSTGRES_EMBEDDED", "true"), "storage.postgres.embedded: is true, but a server is configured too"),
        Arguments.of("an empty embedded data directory", "{\"storage\": {\"postgres\": {\"embedded_data_dir\": \" \"}}}", Map.of(),
            "storage.postgres.embedded_data_dir: must not be empty"),
        Arguments.of("a bad PGPORT", "{}", Map.of("PGPORT", "x"), "PGPORT (storage.postgres.port): expected an integer"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedDatabaseSettings")
  @DisplayName("database settings that cannot work are refused at load, naming the key, instead of retried forever")
  void refusedDatabaseSetting(String what, String file, Map<String, String> env, String message) {
    assertThatThrownBy(() -> ConfigLoader.fromJson(yaml(file), env)).isInstanceOf(ConfigException.class).hasMessageStartingWith(message);
  }

  @Test
  @DisplayName("an empty environment variable unsets a database key of the file: its default applies")
  void emptyVariableUnsetsDatabaseKeys() {
    AgentOsConfig c = ConfigLoader.fromJson(yaml("{\"storage\": {\"postgres\": {\"host\": \"db.file\", \"port\": 6000, \"database\": \"d\", \"user\": \"u\"}}}"),
        Map.of("AGENTOS_STORAGE_POSTGRES_HOST", "", "AGENTOS_STORAGE_POSTGRES_PORT", "", "AGENTOS_STORAGE_POSTGRES_DATABASE", "",
            "AGENTOS_STORAGE_POSTGRES_USER", ""));
    assertThat(c.postgres().host()).isEmpty();
    assertThat(c.postgres().port()).isEqualTo(5432);
    assertThat(c.postgres().database()).isEmpty();
    assertThat(c.postgres().user()).isEmpty();
  }

  static Stream<Arguments> emptySecurityVariables() {
    String file = "{\"authorization\": {\"user_isolation\": true, \"verify_audience\": true, \"issuer\": \"https://idp\","
        + " \"max_token_lifetime_seconds\": 600, \"excluded_route_paths\": [\"/health\"],"
        + " \"roles\": {\"contractor\": {\"scopes\": [\"agents:run\"], \"deny\": [\"agents:payroll:run\"]}}}}";
    return Stream.of(
        Arguments.of("AGENTOS_AUTHORIZATION_USER_ISOLATION", file, "expected true or false"),
        Arguments.of("AGENTOS_AUTHORIZATION_VERIFY_AUDIENCE", file, "expected true or false"),
        Arguments.of("AGENTOS_AUTHORIZATION_MAX_TOKEN_LIFETIME_SECONDS", file, "expected an integer"),
        Arguments.of("AGENTOS_AUTHORIZATION_ROLES", file, "expected a JSON object"));
  }

  @ParameterizedTest(name = "{0}=")
  @MethodSource("emptySecurityVariables")
  @DisplayName("an empty variable never unsets a security setting of the file: a boolean, number or map is a start-up error")
  void emptySecurityVariableRefused(String variable, String file, String message) {
    assertThatThrownBy(() -> ConfigLoader.fromJson(yaml(file), Map.of(variable, ""))).isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  @Test
  @DisplayName("an empty issuer is a start-up error, an empty excluded-route list excludes nothing")
  void emptyStringsStayStrict() {
    JsonObject file = yaml("{\"authorization\": {\"issuer\": \"https://idp\", \"excluded_route_paths\": [\"/health\"]}}");
    assertThatThrownBy(() -> ConfigLoader.fromJson(file, Map.of("AGENTOS_AUTHORIZATION_ISSUER", "")))
        .isInstanceOf(ConfigException.class).hasMessage("authorization.issuer: must not be empty");
    AgentOsConfig c = ConfigLoader.fromJson(file, Map.of("AGENTOS_AUTHORIZATION_EXCLUDED_ROUTE_PATHS", ""));
    assertThat(c.authorization().excludedRoutePaths()).isEmpty();
  }

  @Test
  @DisplayName("the embedded server keeps its data under ./data/postgres unless told otherwise")
  void embeddedDataDir() {
    assertThat(ConfigLoader.fromJson(yaml("{}"), Map.of()).postgres().embeddedDataDir()).isEqualTo(Path.of("data/postgres"));
    assertThat(ConfigLoader.fromJson(yaml("{}"), Map.of("AGENTOS_STORAGE_POSTGRES_EMBEDDED_DATA_DIR", "/var/lib/x")).postgres()
        .embeddedDataDir()).isEqualTo(Path.of("/var/lib/x"));
  }

  @Test
  @DisplayName("agno's single 'algorithm' key is a one-item list")
  void singleAlgorithm() {
    AgentOsConfig c = ConfigLoader.fromJson(yaml("{\"authorization\": {\"algorithm\": \"HS256\"}}"), Map.of());
    assertThat(c.authorization().algorithms()).containsExactly("HS256");
  }

  @Test
  @DisplayName("secrets never appear in the config's string form")
  void secretsNotPrinted() {
    AgentOsConfig c = ConfigLoader.fromJson(yaml("{\"authorization\": {\"verification_keys\": [\"super-secret-value-123456\"]},"
        + "\"storage\": {\"postgres\": {\"password\": \"pg-password-xyz\", \"url\": \"postgresql://u:pg-url-pass@h/db\"}}}"), Map.of());
    assertThat(c.toString()).doesNotContain("super-secret-value-123456", "pg-password-xyz", "pg-url-pass");
  }

  @Test
  @DisplayName("a YAML file is read through vertx-config, and a missing one is a config error")
  void readsYamlFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "http:\n  port: 8123\nauthorization:\n  scopes_claim: permissions\n");
    Vertx vertx = Vertx.vertx();
    try {
      AgentOsConfig c = ConfigLoader.load(vertx, Map.of("AGENTOS_CONFIG", file.toString()))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(c.http().port()).isEqualTo(8123);
      assertThat(c.authorization().scopesClaim()).isEqualTo("permissions");
      assertThatThrownBy(() -> ConfigLoader.load(vertx, Map.of("AGENTOS_CONFIG", dir.resolve("missing.yaml").toString()))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ConfigException.class).hasMessageContaining("cannot read config file");
    } finally {
      vertx.close();
    }
  }

  @Test
  @DisplayName("every schema key is documented in docs/configuration.md with its env var")
  void everyKeyDocumented() throws Exception {
    String doc = Files.readString(Path.of("docs/configuration.md"));
    List<String> missing = ConfigSchema.KEYS.stream()
        .filter(k -> !doc.contains("`" + k.path() + "`") || !doc.contains("`" + k.envVar() + "`"))
        .map(ConfigKey::path).toList();
    assertThat(missing).isEmpty();
  }
}
