package dev.agentos.config;

import dev.agentos.common.ClientAddresses;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the YAML file (vertx-config's YAML store), applies environment overrides and validates everything
 * against {@link ConfigSchema}. Any problem is a {@link ConfigException} naming the key.
 */
public final class ConfigLoader {
  public static final String CONFIG_PATH_ENV = "AGENTOS_CONFIG";
  public static final String DEFAULT_CONFIG_PATH = "conf/config.yaml";

  private ConfigLoader() {}

  /** Loads the file named by {@code AGENTOS_CONFIG} (default {@code conf/config.yaml}) and the environment. */
  public static Future<AgentOsConfig> load(Vertx vertx, Map<String, String> env) {
    String path = env.getOrDefault(CONFIG_PATH_ENV, DEFAULT_CONFIG_PATH);
    return readYaml(vertx, path).map(json -> fromJson(json, env));
  }

  public static Future<JsonObject> readYaml(Vertx vertx, String path) {
    if (!Files.isReadable(Path.of(path))) {
      return Future.failedFuture(new ConfigException(CONFIG_PATH_ENV, "cannot read config file '" + path + "'"));
    }
    ConfigStoreOptions yaml = new ConfigStoreOptions().setType("file").setFormat("yaml")
        .setConfig(new JsonObject().put("path", path));
    ConfigRetriever retriever = ConfigRetriever.create(vertx,
        new ConfigRetrieverOptions().addStore(yaml).setScanPeriod(-1));
    return retriever.getConfig()
        .recover(err -> Future.failedFuture(new ConfigException(CONFIG_PATH_ENV,
            "config file '" + path + "' is not valid YAML: " + firstLine(err))))
        .eventually(retriever::close);
  }

  /** Validates a parsed file plus environment overrides into the immutable config. */
  public static AgentOsConfig fromJson(JsonObject file, Map<String, String> env) {
    Map<String, Object> values = new LinkedHashMap<>();
    JsonObject rest = file == null ? new JsonObject() : file.copy();
    Registry registry = Registry.parse(rest.remove("agents"), rest.remove("teams"), rest.remove("workflows"), env);
    walk(rest, "", values);
    applyEnv(env, values);
    String databaseSource = applyDatabaseSource(env, values);
    return build(values, registry, databaseSource);
  }

  private static void walk(JsonObject node, String prefix, Map<String, Object> values) {
    for (Map.Entry<String, Object> e : node) {
      String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      Object raw = e.getValue();
      ConfigKey key = ConfigSchema.key(path);
      if (key != null) {
        if (raw != null) values.put(path, fromFile(key, raw));
      } else if (ConfigSchema.isSection(path)) {
        if (raw == null) continue;
        if (!(raw instanceof JsonObject section)) throw new ConfigException(path, "expected a mapping of keys");
        walk(section, path, values);
      } else {
        throw new ConfigException(path, "unknown key");
      }
    }
  }

  private static Object fromFile(ConfigKey key, Object raw) {
    String p = key.path();
    switch (key.type()) {
      case STRING:
        if (!(raw instanceof String s)) throw new ConfigException(p, "expected a string, got " + typeName(raw));
        return s;
      case ENUM:
        if (!(raw instanceof String e)) throw new ConfigException(p, "expected one of " + key.allowedValues() + ", got " + typeName(raw));
        return checkEnum(key, e, p);
      case BOOLEAN:
        if (!(raw instanceof Boolean b)) throw new ConfigException(p, "expected true or false, got " + typeName(raw));
        return b;
      case INTEGER:
        if (!(raw instanceof Integer || raw instanceof Long)) {
          throw new ConfigException(p, "expected an integer, got " + typeName(raw));
        }
        return checkRange(key, ((Number) raw).longValue(), p);
      case STRING_LIST:
        if (raw instanceof String s) return List.of(s);
        if (!(raw instanceof JsonArray arr)) throw new ConfigException(p, "expected a list of strings, got " + typeName(raw));
        return stringList(arr, p);
      case SCOPE_MAP:
        if (!(raw instanceof JsonObject obj)) throw new ConfigException(p, "expected a mapping of \"METHOD /path\" to scope lists");
        return scopeMap(obj, p);
      case ROLE_MAP:
        if (!(raw instanceof JsonObject roles)) throw new ConfigException(p, "expected a mapping of role name to {scopes, deny}");
        return roleMap(roles, p);
      case ACTOR_MAP:
        if (!(raw instanceof JsonObject actors)) throw new ConfigException(p, "expected a mapping of actor id to {scopes, max_chain}");
        return actorMap(actors, p);
      default:
        throw new IllegalStateException("unhandled type " + key.type());
    }
  }

  private static void applyEnv(Map<String, String> env, Map<String, Object> values) {
    for (ConfigKey key : ConfigSchema.KEYS) {
      String raw = env.get(key.envVar());
      // an empty variable unsets a database key (its default applies): the way to take back the file's server. For
      // every other key an empty variable keeps its meaning (an empty string or list; a number or boolean is an error):
      // unsetting, say, user_isolation, issuer or roles would quietly fall back to something weaker than the file
      if (raw != null && raw.isEmpty() && UNSET_BY_EMPTY_VARIABLE.contains(key.path())) values.remove(key.path());
      else if (raw != null) values.put(key.path(), fromEnv(key, key.envVar(), raw));
    }
    // agno's variables keep agno's meaning (docs/configuration.md).
    String jwtKey = env.get("JWT_VERIFICATION_KEY");
    if (jwtKey != null && !jwtKey.isBlank()) {
      @SuppressWarnings("unchecked")
      List<String> keys = new ArrayList<>((List<String>) values.getOrDefault("authorization.verification_keys", List.of()));
      if (!keys.contains(jwtKey)) keys.add(jwtKey);
      values.put("authorization.verification_keys", List.copyOf(keys));
    }
    String jwksFile = env.get("JWT_JWKS_FILE");
    if (jwksFile != null && !jwksFile.isBlank()) values.putIfAbsent("authorization.jwks_file", jwksFile);
    String securityKey = env.get("OS_SECURITY_KEY");
    if (securityKey != null && !securityKey.isBlank()) values.put("authorization.security_key", securityKey);
  }

  /** An issuer, when set, is a real one: an empty issuer would pass a token whose {@code iss} is empty. */
  private static Optional<String> issuer(Values r) {
    Optional<String> issuer = r.opt("authorization.issuer");
    if (issuer.isPresent() && issuer.get().isBlank()) throw new ConfigException("authorization.issuer", "must not be empty");
    return issuer;
  }

  /** The keys an empty environment variable unsets: where the database is, nothing that weakens a check. */
  static final java.util.Set<String> UNSET_BY_EMPTY_VARIABLE = java.util.Set.of("storage.postgres.url", "storage.postgres.host",
      "storage.postgres.port", "storage.postgres.database", "storage.postgres.user", "storage.postgres.password",
      "storage.postgres.embedded", "storage.postgres.embedded_data_dir");

  /** The libpq variables that name a server (PGPASSWORD alone does not: it only goes with them). */
  static final List<String> LIBPQ_VARIABLES = List.of("PGHOST", "PGPORT", "PGDATABASE", "PGUSER");

  /**
   * Where the database is, first match wins (docs/configuration.md, "Where the database is"): a configured
   * {@code url} or {@code host}; else the libpq variables; else an embedded server, when {@code embedded} is true
   * or, unset, in dev mode. Returns what decided it, for the start-up log and the errors.
   */
  private static String applyDatabaseSource(Map<String, String> env, Map<String, Object> values) {
    Object embedded = values.get("storage.postgres.embedded");
    for (String key : List.of("storage.postgres.url", "storage.postgres.host")) {
      if (!values.containsKey(key)) continue;
      if (((String) values.get(key)).isBlank()) throw new ConfigException(key, "must not be empty (an empty environment variable unsets it)");
      if (Boolean.TRUE.equals(embedded)) {
        throw new ConfigException("storage.postgres.embedded", "is true, but a server is configured too (" + key
            + "): use one or the other");
      }
      return key;
    }
    if (Boolean.TRUE.equals(embedded)) return "storage.postgres.embedded";
    boolean libpq = false;
    for (String var : LIBPQ_VARIABLES) libpq |= env.get(var) != null && !env.get(var).isEmpty();
    if (libpq) {
      values.put("storage.postgres.host", env.getOrDefault("PGHOST", "").isEmpty() ? "127.0.0.1" : env.get("PGHOST"));
      if (env.get("PGPORT") != null && !env.get("PGPORT").isEmpty()) {
        values.put("storage.postgres.port", fromEnv(ConfigSchema.key("storage.postgres.port"), "PGPORT", env.get("PGPORT")));
      }
      copyEnv(env, "PGDATABASE", "storage.postgres.database", values);
      copyEnv(env, "PGUSER", "storage.postgres.user", values);
      copyEnv(env, "PGPASSWORD", "storage.postgres.password", values);
      return "the libpq variables (" + String.join(", ", LIBPQ_VARIABLES.stream().filter(v -> env.get(v) != null && !env.get(v).isEmpty()).toList()) + ")";
    }
    boolean devMode = Boolean.TRUE.equals(values.getOrDefault("os.dev_mode", ConfigSchema.key("os.dev_mode").defaultValue()));
    if (embedded == null && devMode) return "dev mode (no server configured)";
    return null;
  }

  private static void copyEnv(Map<String, String> env, String var, String path, Map<String, Object> values) {
    String v = env.get(var);
    if (v != null && !v.isEmpty()) values.put(path, v);
  }

  private static Object fromEnv(ConfigKey key, String var, String raw) {
    String where = var + " (" + key.path() + ")";
    switch (key.type()) {
      case STRING:
        return raw;
      case ENUM:
        return checkEnum(key, raw, where);
      case BOOLEAN:
        if (raw.equalsIgnoreCase("true")) return true;
        if (raw.equalsIgnoreCase("false")) return false;
        throw new ConfigException(where, "expected true or false");
      case INTEGER:
        try {
          return checkRange(key, Long.parseLong(raw.trim()), where);
        } catch (NumberFormatException e) {
          throw new ConfigException(where, "expected an integer");
        }
      case STRING_LIST:
        if (raw.trim().startsWith("[")) {
          try {
            return stringList(new JsonArray(raw), where);
          } catch (DecodeException e) {
            throw new ConfigException(where, "expected a JSON array of strings");
          }
        }
        List<String> items = new ArrayList<>();
        for (String part : raw.split(",")) if (!part.isBlank()) items.add(part.trim());
        return List.copyOf(items);
      case ROLE_MAP:
        try {
          return roleMap(new JsonObject(raw), where);
        } catch (DecodeException e) {
          throw new ConfigException(where, "expected a JSON object of role name to {scopes, deny}");
        }
      case ACTOR_MAP:
        try {
          return actorMap(new JsonObject(raw), where);
        } catch (DecodeException e) {
          throw new ConfigException(where, "expected a JSON object of actor id to {scopes, max_chain}");
        }
      case SCOPE_MAP:
        try {
          return scopeMap(new JsonObject(raw), where);
        } catch (DecodeException e) {
          throw new ConfigException(where, "expected a JSON object of \"METHOD /path\": [scopes]");
        }
      default:
        throw new IllegalStateException("unhandled type " + key.type());
    }
  }

  private static String checkEnum(ConfigKey key, String value, String where) {
    for (String allowed : key.allowedValues()) {
      if (allowed.equalsIgnoreCase(value)) return allowed;
    }
    throw new ConfigException(where, "expected one of " + key.allowedValues());
  }

  private static long checkRange(ConfigKey key, long v, String where) {
    if (v < key.min() || v > key.max()) {
      throw new ConfigException(where, "must be between " + key.min() + " and " + key.max() + ", got " + v);
    }
    return v;
  }

  private static List<String> stringList(JsonArray arr, String where) {
    List<String> out = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      Object item = arr.getValue(i);
      if (!(item instanceof String s)) {
        throw new ConfigException(where + "[" + i + "]", "expected a string, got " + typeName(item));
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  private static final java.util.regex.Pattern ROLE_NAME = java.util.regex.Pattern.compile("^[a-z0-9][a-z0-9_-]{0,62}$");

  private static Map<String, AgentOsConfig.RoleDefinition> roleMap(JsonObject obj, String where) {
    Map<String, AgentOsConfig.RoleDefinition> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : obj) {
      String name = e.getKey();
      String at = where + "." + name;
      if (!ROLE_NAME.matcher(name).matches()) throw new ConfigException(at, "role names match ^[a-z0-9][a-z0-9_-]{0,62}$");
      if (List.of("owner", "administrator", "member").contains(name)) throw new ConfigException(at, "is a built-in role");
      if (!(e.getValue() instanceof JsonObject def)) throw new ConfigException(at, "expected {scopes: [...], deny: [...]}");
      for (String field : def.fieldNames()) {
        if (!field.equals("scopes") && !field.equals("deny")) throw new ConfigException(at + "." + field, "unknown key");
      }
      List<String> scopes = def.getValue("scopes") == null ? List.of() : listOf(def.getValue("scopes"), at + ".scopes");
      List<String> deny = def.getValue("deny") == null ? List.of() : listOf(def.getValue("deny"), at + ".deny");
      out.put(name, new AgentOsConfig.RoleDefinition(scopes, deny));
    }
    return Collections.unmodifiableMap(out);
  }

  /** {@code authorization.actors}: an actor's id (its {@code act.sub}) to what it may do for anyone, and how deep a chain it joins. */
  private static Map<String, AgentOsConfig.ActorDefinition> actorMap(JsonObject obj, String where) {
    Map<String, AgentOsConfig.ActorDefinition> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : obj) {
      String at = where + "." + e.getKey();
      if (e.getKey().isBlank()) throw new ConfigException(at, "an actor id is not empty");
      if (!(e.getValue() instanceof JsonObject def)) throw new ConfigException(at, "expected {scopes: [...], max_chain: N}");
      for (String field : def.fieldNames()) {
        if (!field.equals("scopes") && !field.equals("max_chain")) throw new ConfigException(at + "." + field, "unknown key");
      }
      List<String> scopes = def.getValue("scopes") == null ? List.of() : listOf(def.getValue("scopes"), at + ".scopes");
      Object max = def.getValue("max_chain");
      if (max != null && (!(max instanceof Integer n) || n < 1 || n > 16)) {
        throw new ConfigException(at + ".max_chain", "expected an integer between 1 and 16");
      }
      out.put(e.getKey(), new AgentOsConfig.ActorDefinition(scopes, java.util.Optional.ofNullable((Integer) max)));
    }
    return Collections.unmodifiableMap(out);
  }

  private static List<String> listOf(Object v, String where) {
    if (!(v instanceof JsonArray arr)) throw new ConfigException(where, "expected a list of scopes");
    List<String> out = stringList(arr, where);
    for (String scope : out) {
      if (scope.split(":", -1).length < 2 || scope.split(":", -1).length > 3) throw new ConfigException(where, "'" + scope + "' is not a scope");
    }
    return out;
  }

  private static Map<String, List<String>> scopeMap(JsonObject obj, String where) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : obj) {
      String route = e.getKey();
      String[] parts = route.split(" ", 2);
      if (parts.length != 2 || !parts[0].matches("[A-Z]+") || !parts[1].startsWith("/")) {
        throw new ConfigException(where + "." + route, "expected a key of the form \"METHOD /path\"");
      }
      if (!(e.getValue() instanceof JsonArray arr)) {
        throw new ConfigException(where + "." + route, "expected a list of scopes");
      }
      out.put(route, stringList(arr, where + "." + route));
    }
    return Collections.unmodifiableMap(out);
  }

  @SuppressWarnings("unchecked")
  private static AgentOsConfig build(Map<String, Object> v, Registry registry, String databaseSource) {
    Values r = new Values(v);
    AgentOsConfig.Os os = new AgentOsConfig.Os(r.opt("os.id"), r.opt("os.name"), r.opt("os.description"),
        r.str("os.version"), r.bool("os.dev_mode"));

    List<String> cors = new ArrayList<>(r.list("http.cors_allowed_origins"));
    cors.removeIf("*"::equals);
    AgentOsConfig.Http http = new AgentOsConfig.Http(r.str("http.host"), r.integer("http.port"),
        r.has("http.instances") ? Optional.of(r.integer("http.instances")) : Optional.empty(),
        r.lng("http.max_body_bytes"), r.integer("http.max_header_bytes"), r.integer("http.max_initial_line_bytes"),
        List.copyOf(cors), r.integer("http.shutdown_timeout_seconds"), r.integer("http.max_connections"),
        r.integer("http.max_streams"), r.integer("http.header_timeout_seconds"), r.integer("http.idle_timeout_seconds"),
        r.list("http.trusted_proxies"));
    try {
      ClientAddresses.of(http.trustedProxies()); // a bad entry is a start-up error here, not later
    } catch (IllegalArgumentException e) {
      throw new ConfigException("http.trusted_proxies", e.getMessage());
    }

    List<String> algorithms = r.list("authorization.algorithms");
    if (r.has("authorization.algorithm")) {
      if (v.containsKey("authorization.algorithms")) {
        throw new ConfigException("authorization.algorithm", "set either algorithm or algorithms, not both");
      }
      algorithms = List.of(r.str("authorization.algorithm"));
    }
    if (algorithms.isEmpty()) throw new ConfigException("authorization.algorithms", "must name at least one algorithm");
    for (String alg : algorithms) {
      if (!ConfigSchema.ALGORITHMS.contains(alg)) {
        throw new ConfigException("authorization.algorithms", "unsupported algorithm '" + alg + "'; supported: " + ConfigSchema.ALGORITHMS);
      }
    }
    int refreshMin = r.integer("authorization.jwks_refresh_min_seconds");
    int refreshMax = r.integer("authorization.jwks_refresh_max_seconds");
    if (refreshMin > refreshMax) {
      throw new ConfigException("authorization.jwks_refresh_min_seconds", "must not exceed jwks_refresh_max_seconds");
    }
    r.opt("authorization.jwks_url").ifPresent(url -> {
      if (!url.startsWith("https://") && !url.startsWith("http://")) {
        throw new ConfigException("authorization.jwks_url", "must be an http(s) URL");
      }
    });
    String adminScope = r.str("authorization.admin_scope");
    if (adminScope.isBlank()) throw new ConfigException("authorization.admin_scope", "must not be empty");
    for (String claimKey : List.of("scopes_claim", "user_id_claim", "session_id_claim", "roles_claim", "token_header_key", "cookie_name")) {
      if (r.str("authorization." + claimKey).isBlank()) throw new ConfigException("authorization." + claimKey, "must not be empty");
    }
    AgentOsConfig.Authorization authz = new AgentOsConfig.Authorization(
        r.bool("authorization.enabled"), r.bool("authorization.validate"), List.copyOf(algorithms),
        r.list("authorization.verification_keys"), r.opt("authorization.jwks_file"), r.opt("authorization.jwks_url"),
        refreshMin, refreshMax, issuer(r), r.bool("authorization.verify_audience"),
        r.list("authorization.audience"), r.integer("authorization.leeway_seconds"), r.bool("authorization.require_exp"),
        AgentOsConfig.TokenSource.valueOf(r.str("authorization.token_source").toUpperCase(Locale.ROOT)),
        r.str("authorization.token_header_key"), r.str("authorization.cookie_name"),
        r.str("authorization.scopes_claim"), r.str("authorization.user_id_claim"),
        r.str("authorization.session_id_claim"), r.str("authorization.roles_claim"),
        r.list("authorization.dependencies_claims"), r.list("authorization.session_state_claims"), adminScope,
        r.bool("authorization.user_isolation"),
        v.containsKey("authorization.scope_mappings")
            ? (Map<String, List<String>>) v.get("authorization.scope_mappings") : Map.of(),
        v.containsKey("authorization.roles")
            ? (Map<String, AgentOsConfig.RoleDefinition>) v.get("authorization.roles") : Map.of(),
        r.list("authorization.excluded_route_paths"), r.opt("authorization.security_key").filter(s -> !s.isEmpty()),
        r.integer("authorization.token_cache_size"), r.integer("authorization.service_account_cache_ttl_seconds"),
        r.integer("authorization.service_account_failures_per_minute"), r.integer("authorization.decision_log_allow_percent"),
        r.integer("authorization.policy_timeout_ms"),
        r.has("authorization.max_token_lifetime_seconds") ? Optional.of(r.lng("authorization.max_token_lifetime_seconds")) : Optional.empty(),
        r.has("authorization.policy_instances") ? r.integer("authorization.policy_instances")
            : io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE,
        tenantIdClaim(r), r.opt("authorization.platform_admin_scope"), r.bool("authorization.trust_token_scopes"),
        r.bool("authorization.decision_records"), r.integer("authorization.decision_records_queue"),
        r.opt("authorization.default_role"), r.bool("authorization.auto_provision_users"), r.bool("authorization.discovery"),
        resourceMetadata(r),
        v.containsKey("authorization.actors") ? (Map<String, AgentOsConfig.ActorDefinition>) v.get("authorization.actors") : Map.of(),
        r.bool("authorization.actors_required"), r.integer("authorization.max_delegation_depth"),
        r.str("authorization.team_member_runs").equals("strict"));
    if (authz.discovery()) {
      if (authz.issuer().isEmpty()) {
        throw new ConfigException("authorization.discovery", "reads {issuer}/.well-known/openid-configuration: it needs authorization.issuer");
      }
      if (!httpUrl(authz.issuer().get())) {
        throw new ConfigException("authorization.issuer", "must be an http(s) URL to be discovered");
      }
      if (authz.jwksUrl().isPresent()) {
        throw new ConfigException("authorization.jwks_url", "comes from discovery (the issuer's jwks_uri): give one or the other");
      }
    }
    authz.defaultRole().ifPresent(role -> {
      // a role every tenant has: a built-in or a configured one (a tenant's managed roles are not known here)
      if (!List.of("owner", "administrator", "member").contains(role) && !authz.roles().containsKey(role)) {
        throw new ConfigException("authorization.default_role", "names no built-in or configured role: " + role);
      }
      if (List.of("owner", "administrator").contains(role)
          || authz.roles().containsKey(role) && authz.roles().get(role).scopes().contains(authz.adminScope())) {
        throw new ConfigException("authorization.default_role", "grants the admin scope: every new user would be an admin");
      }
      if (!authz.autoProvisionUsers()) {
        throw new ConfigException("authorization.default_role", "is given on a user's first request: it needs authorization.auto_provision_users: true");
      }
    });
    if (authz.tenantIdClaim().isPresent() && (!authz.validate() || authz.verificationKeys().isEmpty() && authz.jwksFile().isEmpty()
        && !authz.remoteJwks())) {
      // an unverified or absent token would let anyone name any tenant
      throw new ConfigException("authorization.tenant_id_claim", "needs verified tokens: authorization.validate: true and a key, "
          + "jwks_file or jwks_url");
    }
    if (authz.platformAdminScope().isPresent()) {
      if (authz.platformAdminScope().get().isBlank()) {
        throw new ConfigException("authorization.platform_admin_scope", "must not be empty");
      }
      if (authz.tenantIdClaim().isEmpty()) {
        throw new ConfigException("authorization.platform_admin_scope", "needs authorization.tenant_id_claim (tenants on)");
      }
      if (!authz.trustTokenScopes()) {
        throw new ConfigException("authorization.platform_admin_scope", "is a token scope: it needs authorization.trust_token_scopes: true");
      }
      if (authz.platformAdminScope().get().equals(adminScope)) {
        throw new ConfigException("authorization.platform_admin_scope", "must differ from authorization.admin_scope");
      }
    }

    boolean configuredServer = r.has("storage.postgres.url") || r.has("storage.postgres.host");
    String dataDir = r.str("storage.postgres.embedded_data_dir").strip();
    if (dataDir.isEmpty()) throw new ConfigException("storage.postgres.embedded_data_dir", "must not be empty");
    AgentOsConfig.Postgres pg = new AgentOsConfig.Postgres(r.opt("storage.postgres.url"),
        r.opt("storage.postgres.host"), r.integer("storage.postgres.port"), r.opt("storage.postgres.database"),
        r.opt("storage.postgres.user"), r.opt("storage.postgres.password"), r.integer("storage.postgres.pool_size"),
        !configuredServer && databaseSource != null, java.nio.file.Path.of(dataDir), Optional.ofNullable(databaseSource),
        r.integer("storage.request_timeout_ms"), r.integer("storage.instances"),
        r.integer("storage.max_concurrent_pages"), r.bool("storage.postgres.row_level_security"), appRole(r),
        r.integer("storage.decision_retention_days"));
    r.opt("storage.postgres.url").ifPresent(url -> {
      if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
        throw new ConfigException("storage.postgres.url", "must start with postgresql://");
      }
    });

    AgentOsConfig.Logging logging = new AgentOsConfig.Logging(r.str("logging.access_log"), r.str("logging.level"));
    return new AgentOsConfig(os, http, authz, pg, logging, registry, cluster(r));
  }

  private static boolean httpUrl(String url) {
    try {
      java.net.URI uri = new java.net.URI(url);
      return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  /** RFC 9728 metadata, when {@code authorization.resource_metadata.resource} names this resource. */
  private static Optional<AgentOsConfig.ResourceMetadata> resourceMetadata(Values r) {
    Optional<String> resource = r.opt("authorization.resource_metadata.resource");
    if (resource.isEmpty()) {
      if (!r.list("authorization.resource_metadata.authorization_servers").isEmpty()) {
        throw new ConfigException("authorization.resource_metadata.authorization_servers", "needs authorization.resource_metadata.resource");
      }
      if (r.opt("authorization.resource_metadata.documentation").isPresent()) {
        throw new ConfigException("authorization.resource_metadata.documentation", "needs authorization.resource_metadata.resource");
      }
      return Optional.empty();
    }
    String url = resource.get();
    if (!httpUrl(url) || url.contains("#") || url.contains("?")) {
      throw new ConfigException("authorization.resource_metadata.resource", "must be an http(s) URL without query or fragment (RFC 9728 §2)");
    }
    List<String> servers = r.list("authorization.resource_metadata.authorization_servers");
    if (servers.isEmpty()) servers = r.opt("authorization.issuer").map(List::of).orElse(List.of());
    for (String s : servers) {
      if (!httpUrl(s)) throw new ConfigException("authorization.resource_metadata.authorization_servers", "must be http(s) URLs: " + s);
    }
    Optional<String> docs = r.opt("authorization.resource_metadata.documentation");
    if (docs.isPresent() && !httpUrl(docs.get())) {
      throw new ConfigException("authorization.resource_metadata.documentation", "must be an http(s) URL");
    }
    return Optional.of(new AgentOsConfig.ResourceMetadata(url, List.copyOf(servers), docs));
  }

  private static Optional<String> tenantIdClaim(Values r) {
    Optional<String> claim = r.opt("authorization.tenant_id_claim");
    if (claim.isPresent() && claim.get().isBlank()) throw new ConfigException("authorization.tenant_id_claim", "must not be empty");
    return claim;
  }

  /** A PostgreSQL role name as the migrations write it unquoted-safe: lower case letters, digits and underscores. */
  private static final java.util.regex.Pattern PG_ROLE_NAME = java.util.regex.Pattern.compile("^[a-z_][a-z0-9_]{0,62}$");

  private static String appRole(Values r) {
    String role = r.str("storage.postgres.app_role");
    if (!role.isEmpty() && !PG_ROLE_NAME.matcher(role).matches()) {
      throw new ConfigException("storage.postgres.app_role", "must be a role name of lower-case letters, digits and underscores");
    }
    return role;
  }

  private static final java.util.regex.Pattern HOST_PORT = java.util.regex.Pattern.compile("^[A-Za-z0-9.:\\[\\]_-]+:(\\d{1,5})$");

  private static AgentOsConfig.Cluster cluster(Values r) {
    boolean enabled = r.bool("cluster.enabled");
    Placement placement = Placement.parse(r.list("cluster.verticles"));
    if (!enabled && !placement.isAll()) {
      throw new ConfigException("cluster.verticles", "a node outside a cluster must run every verticle " + Placement.ALL_NAMES
          + "; set cluster.enabled: true to split them across nodes");
    }
    AgentOsConfig.Discovery discovery = AgentOsConfig.Discovery.valueOf(r.str("cluster.discovery").toUpperCase(Locale.ROOT));
    List<String> members = r.list("cluster.members");
    for (String member : members) {
      java.util.regex.Matcher m = HOST_PORT.matcher(member);
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 65535) {
        throw new ConfigException("cluster.members", "expected host:port items, got '" + member + "'");
      }
    }
    Optional<String> dns = r.opt("cluster.kubernetes_service_dns").filter(s -> !s.isBlank());
    if (enabled && discovery == AgentOsConfig.Discovery.KUBERNETES && dns.isEmpty()) {
      throw new ConfigException("cluster.kubernetes_service_dns", "required with discovery: kubernetes (the headless Service's DNS name)");
    }
    String host = r.str("cluster.host");
    if (host.isBlank()) throw new ConfigException("cluster.host", "must not be empty");
    String publicHost = r.opt("cluster.public_host").filter(s -> !s.isBlank()).orElse(host);
    if (enabled && publicHost.equals("0.0.0.0")) {
      throw new ConfigException("cluster.public_host", "0.0.0.0 cannot be reached by other nodes; set the address they should use");
    }
    int port = r.integer("cluster.port");
    int eventBusPort = r.integer("cluster.event_bus_port");
    if (port == eventBusPort) throw new ConfigException("cluster.event_bus_port", "must differ from cluster.port");
    if (enabled && (port == r.integer("http.port") || eventBusPort == r.integer("http.port"))) {
      throw new ConfigException("cluster.port", "cluster.port and cluster.event_bus_port must differ from http.port");
    }
    if (enabled && Boolean.TRUE.equals(r.get("storage.postgres.embedded")) && placement.runs(Placement.Verticle.STORAGE)) {
      // each node would get its own database: a role revoked in one would still be granted by another
      throw new ConfigException("storage.postgres.embedded", "cannot be used on a cluster node; every node must use the same PostgreSQL");
    }
    Optional<java.nio.file.Path> credentials = r.opt("cluster.security.credentials_dir").map(String::strip)
        .map(dir -> {
          if (dir.isEmpty()) throw new ConfigException("cluster.security.credentials_dir", "must not be empty");
          return java.nio.file.Path.of(dir).toAbsolutePath();
        });
    boolean insecure = r.bool("cluster.security.insecure");
    if (enabled && credentials.isEmpty() && !insecure) {
      throw new ConfigException("cluster.security.credentials_dir", "required with cluster.enabled: true; create the "
          + "credentials with `java -jar agentos.jar cluster-credentials --out DIR` (or set cluster.security.insecure: true "
          + "to run a cluster nobody authenticates)");
    }
    if (credentials.isPresent() && insecure) {
      throw new ConfigException("cluster.security.insecure", "cannot be true while cluster.security.credentials_dir is set");
    }
    return new AgentOsConfig.Cluster(enabled, r.str("cluster.name"), discovery, members, dns, host, publicHost, port,
        eventBusPort, r.integer("cluster.member_timeout_seconds"), placement, credentials, insecure,
        r.integer("cluster.security.reload_seconds"));
  }

  private static String typeName(Object raw) {
    if (raw == null) return "nothing";
    if (raw instanceof String) return "a string";
    if (raw instanceof Boolean) return "a boolean";
    if (raw instanceof Number) return "a number";
    if (raw instanceof JsonArray) return "a list";
    if (raw instanceof JsonObject) return "a mapping";
    return raw.getClass().getSimpleName();
  }

  private static String firstLine(Throwable err) {
    String msg = String.valueOf(err.getMessage());
    int nl = msg.indexOf('\n');
    return nl < 0 ? msg : msg.substring(0, nl);
  }

  /** Typed access to resolved values, falling back to the schema default. */
  private record Values(Map<String, Object> v) {
    Object get(String path) {
      return v.containsKey(path) ? v.get(path) : ConfigSchema.key(path).defaultValue();
    }

    boolean has(String path) {
      return get(path) != null;
    }

    Optional<String> opt(String path) {
      return Optional.ofNullable((String) get(path));
    }

    String str(String path) {
      return (String) get(path);
    }

    boolean bool(String path) {
      return (Boolean) get(path);
    }

    long lng(String path) {
      return ((Number) get(path)).longValue();
    }

    int integer(String path) {
      return (int) Math.min(Integer.MAX_VALUE, lng(path));
    }

    @SuppressWarnings("unchecked")
    List<String> list(String path) {
      return List.copyOf((List<String>) get(path));
    }
  }
}
