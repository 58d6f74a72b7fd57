package dev.agentos.config;

import static dev.agentos.config.ConfigKey.bool;
import static dev.agentos.config.ConfigKey.integer;
import static dev.agentos.config.ConfigKey.list;
import static dev.agentos.config.ConfigKey.oneOf;
import static dev.agentos.config.ConfigKey.actorMap;
import static dev.agentos.config.ConfigKey.roleMap;
import static dev.agentos.config.ConfigKey.scopeMap;
import static dev.agentos.config.ConfigKey.secret;
import static dev.agentos.config.ConfigKey.string;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every configuration key the service understands. Anything else in a config file is a start-up error. */
public final class ConfigSchema {
  private ConfigSchema() {}

  /**
   * agno's defaults (docs/configuration.md) plus our readiness probe, which orchestrators call without a token,
   * and the documentation pages' own assets (agno's come from a CDN, ours from the jar).
   */
  public static final List<String> DEFAULT_EXCLUDED_ROUTES =
      List.of("/", "/health", "/ready", "/info", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect", "/docs/assets/*");

  public static final List<String> ALGORITHMS = List.of(
      "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
      "ES256", "ES384", "ES512", "EdDSA");

  public static final List<ConfigKey> KEYS = List.of(
      string("os.id", null, "Instance id; shown by `/` and `/info`, and the default expected audience."),
      string("os.name", null, "Display name shown by `/info`."),
      string("os.description", null, "Free-text description."),
      string("os.version", "1.0.0", "Version reported by `GET /`."),
      bool("os.dev_mode", false,
          "When no verification key is configured, generate a random HS256 secret at start-up and print one admin token. Never use in production."),

      string("http.host", "0.0.0.0", "Address the HTTP server binds."),
      integer("http.port", 7777L, 1, 65535, "HTTP port."),
      integer("http.instances", null, 1, 256, "HttpVerticle instances; default one per event loop."),
      integer("http.max_body_bytes", 1_048_576L, 1, 1L << 31, "Larger request bodies get 413 (and the connection closes); it is also the limit of one form field (a form: at most 1,000 fields, a part's name and headers at most 16 KB; see isolation.md)."),
      integer("http.max_header_bytes", 16_384L, 1024, 1L << 20, "Larger request headers get 431."),
      integer("http.max_initial_line_bytes", 8_192L, 256, 1L << 20, "Longer request lines (URI) get 414."),
      list("http.cors_allowed_origins", List.of(), false, "CORS origins; empty = agno's defaults. `*` is removed."),
      integer("http.shutdown_timeout_seconds", 10L, 0, 3600, "How long in-flight requests may take to finish at shutdown."),
      integer("http.max_connections", 10_000L, 1, 1_000_000, "Open connections per node; a connection past the limit gets 503 and is closed. The budget is split evenly over the HTTP verticle instances."),
      integer("http.max_streams", 1_000L, 1, 1_000_000, "Concurrent streamed (SSE) runs per node; more get 429. Split over HTTP verticle instances like max_connections."),
      integer("http.header_timeout_seconds", 10L, 1, 600, "A new connection must send its first complete request head within this time or it is closed (slow-header clients); later requests on a kept-alive connection are bounded by idle_timeout_seconds."),
      integer("http.idle_timeout_seconds", 120L, 0, 86_400, "A connection with no traffic for this long is closed (0 = never)."),
      list("http.trusted_proxies", List.of(), false, "Addresses or CIDR blocks of reverse proxies in front of the service. Only when the peer is one of them is the client address (for per-client limits) taken from `X-Forwarded-For` (the nearest hop that is not a trusted proxy); otherwise the peer's address."),

      bool("authorization.enabled", true, "RBAC: scopes are enforced. false = authentication only (agno's JWT-without-RBAC mode)."),
      bool("authorization.validate", true, "false = decode tokens without verifying them (development only; logs a loud warning)."),
      list("authorization.algorithms", List.of("RS256"), false, "Accepted JWT algorithms. `algorithm: X` is accepted as a one-item list."),
      string("authorization.algorithm", null, "agno's single-algorithm spelling; same as `algorithms: [X]`."),
      list("authorization.verification_keys", List.of(), true,
          "HMAC secrets (at least 16 bytes; 32 or more recommended, a shorter one logs a warning), PEM public keys, or `file:/path.pem`. Env `JWT_VERIFICATION_KEY` is appended."),
      string("authorization.jwks_file", null, "Path of a static JWKS file (env `JWT_JWKS_FILE` when unset)."),
      string("authorization.jwks_url", null, "JWKS URL (e.g. an OIDC provider's jwks_uri), fetched at start-up and refreshed in the background, never on the request path."),
      integer("authorization.jwks_refresh_min_seconds", 30L, 1, 86_400, "Lower bound of the JWKS refresh interval, and the debounce window for a refresh on an unknown `kid`."),
      integer("authorization.jwks_refresh_max_seconds", 3_600L, 1, 604_800, "Upper bound of the JWKS refresh interval (Cache-Control max-age is clamped between the bounds)."),
      string("authorization.issuer", null, "When set, the `iss` claim must equal it."),
      bool("authorization.discovery", false, "OpenID Connect discovery: read `{issuer}/.well-known/openid-configuration` (its `issuer` must equal `authorization.issuer`, character for character) and take the keys from its `jwks_uri`, refreshed as a `jwks_url` is (the document is read again on every refresh). Needs `issuer`; excludes `jwks_url`."),
      string("authorization.resource_metadata.resource", null, "RFC 9728: this service's resource identifier (an http(s) URL, e.g. `https://agents.example.com`). Set: `GET /.well-known/oauth-protected-resource` (plus the resource's path) answers the metadata without a token, and every 401 carries `WWW-Authenticate: Bearer resource_metadata=\"...\"`."),
      list("authorization.resource_metadata.authorization_servers", List.of(), false, "RFC 9728 `authorization_servers`: the issuers whose tokens this resource accepts; default `[authorization.issuer]` when it is set."),
      string("authorization.resource_metadata.documentation", null, "RFC 9728 `resource_documentation`: a URL of human-readable documentation."),
      bool("authorization.verify_audience", false, "Check the `aud` claim against `audience` (or `os.id`)."),
      list("authorization.audience", List.of(), false, "Expected audience(s); default `os.id`."),
      integer("authorization.leeway_seconds", 10L, 0, 600, "Clock skew allowed for exp, nbf and iat."),
      bool("authorization.require_exp", true, "Reject tokens without `exp`."),
      oneOf("authorization.token_source", "header", List.of("header", "cookie", "both"), "Where the token is read."),
      string("authorization.token_header_key", "Authorization", "Header that carries the token."),
      string("authorization.cookie_name", "access_token", "Cookie that carries the token."),
      string("authorization.scopes_claim", "scopes", "Claim with the scopes (dotted path allowed)."),
      string("authorization.user_id_claim", "sub", "Claim with the user id (dotted path allowed)."),
      string("authorization.session_id_claim", "session_id", "Claim with the session id."),
      string("authorization.roles_claim", "roles", "Claim with role names (dotted path allowed, e.g. `realm_access.roles`)."),
      list("authorization.dependencies_claims", List.of(), false, "Claims copied into a run's dependencies."),
      list("authorization.session_state_claims", List.of(), false, "Claims copied into a run's session_state."),
      string("authorization.admin_scope", "agent_os:admin", "The scope that grants everything; replaces the default."),
      bool("authorization.user_isolation", false, "Per-user data isolation."),
      bool("authorization.trust_token_scopes", true, "Whether a token's own scopes claim grants anything. `true`: token scopes and roles both grant (OR). `false` (agno 3.1's default, roles-only): only roles decide (the token's roles claim, managed assignments); a token's scopes, the admin scope among them, grant nothing. Service accounts' stored scopes count either way."),
      string("authorization.tenant_id_claim", null, "Claim with the tenant id (dotted path allowed, e.g. `org.id`). Set: tenants are on, every caller acts in its token's tenant and a token without the claim gets 403; unset: one implicit tenant (docs/isolation.md)."),
      string("authorization.platform_admin_scope", null, "With tenants on, the scope that makes a caller admin in every tenant, chosen per request with the `X-Tenant-Id` header; unset: nobody acts across tenants. The admin scope alone is admin within the caller's own tenant."),
      scopeMap("authorization.scope_mappings", "Extra `\"METHOD /path\": [scopes]` entries merged over the default route map."),
      roleMap("authorization.roles", "Roles defined here: `name: {scopes: [...], deny: [...]}`; a token's roles claim names them."),
      actorMap("authorization.actors", "Delegation (RFC 8693 `act`): actors by their `act.sub`, each `{scopes: [...], max_chain: N}`: what it may do for any subject, and the longest actor chain it may be part of. A delegated request is allowed only if the subject and every actor may make it (docs/authorization.md, \"Delegation\")."),
      bool("authorization.actors_required", false, "Refuse (403) a delegated token naming an actor that is neither in `authorization.actors` nor holds a managed role; off, such an actor limits nothing (the subject's rights decide) and is still recorded."),
      oneOf("authorization.team_member_runs", "team", List.of("team", "strict"), "Who may run a team's members and a workflow's steps. `team` (agno): run access to the team or workflow suffices, its members run in its name. `strict`: the caller (and every actor of a delegated token) must also be able to run each member agent and each step (403 naming the first it may not run)."),
      integer("authorization.max_delegation_depth", 3L, 1, 16, "The longest actor chain a delegated token may carry; longer is 403."),
      list("authorization.excluded_route_paths", DEFAULT_EXCLUDED_ROUTES, false, "fnmatch patterns that skip authentication; a list replaces the defaults."),
      secret("authorization.security_key", "agno's OS security key mode (env `OS_SECURITY_KEY`); ignored when a JWT source is configured."),
      integer("authorization.token_cache_size", 10_000L, 0, 10_000_000, "Verified tokens kept in memory per HTTP verticle instance (0 = no cache)."),
      integer("authorization.service_account_cache_ttl_seconds", 30L, 0, 3_600, "How long a verified service-account token is trusted without asking the database (0 = always ask); a revocation clears it at once."),
      integer("authorization.service_account_failures_per_minute", 20L, 1, 100_000, "Failed service-account authentications allowed per client address per minute (per node) before 429."),
      bool("authorization.auto_provision_users", true, "Add a user to the users directory (`GET /users`) on their first authenticated request (a verified JWT with a subject), in their tenant; written asynchronously, never on the request's path. Off: the directory holds only users an admin named (`PATCH /users/{sub}`). The `disabled` kill switch is enforced either way."),
      string("authorization.default_role", null, "A built-in or configured role a user gets on their first request, stored as an ordinary assignment (`/authz/subjects/{sub}/roles`) so it can be changed later; a subject the directory does not know yet holds it from that first request. Unset: none."),
      bool("authorization.decision_records", true, "Record every decision (allow and deny) in PostgreSQL, append-only, for `GET /authz/decisions`; written asynchronously in batches, never on a request's path."),
      integer("authorization.decision_records_queue", 10_000L, 100, 1_000_000, "Decision records a policy verticle holds while they wait to be written; past it new records are dropped and counted (`agentos_policy_decision_records_dropped_total`), and the request goes on."),
      integer("authorization.decision_log_allow_percent", 0L, 0, 100, "Share of allowed decisions written to the decision log (every deny is)."),
      integer("authorization.policy_timeout_ms", 2_000L, 10, 60_000, "How long the HTTP path waits for a policy decision before answering 503."),
      integer("authorization.policy_instances", null, 1, 64, "Policy verticle instances on a node that runs it (each its own event loop, roles and consumer; requests are spread over them). Default: one per event loop, as for `http.instances`."),
      integer("authorization.max_token_lifetime_seconds", null, 1, 315_360_000L, "When set, a JWT whose `exp` is further than this from now (or that has no `exp`) is refused with 401; off by default."),

      string("storage.postgres.url", null, "postgresql://user:password@host:port/database. Where the database is, first match wins: `url` or `host` (file or environment), then the libpq variables PGHOST, PGPORT, PGDATABASE, PGUSER (PGPASSWORD with them), then an embedded server (`embedded`)."),
      string("storage.postgres.host", null, "Server host."),
      integer("storage.postgres.port", 5432L, 1, 65535, "Server port."),
      string("storage.postgres.database", null, "Database name; when none is given anywhere, `agentos`, created on first start if it does not exist (never the server's `postgres` database)."),
      string("storage.postgres.user", null, "User name."),
      secret("storage.postgres.password", "Password."),
      integer("storage.postgres.pool_size", 8L, 1, 1000, "Connections per storage verticle instance."),
      integer("storage.instances", 1L, 1, 64, "Storage verticle instances on a node that runs it, each with its own event loop and pool of `storage.postgres.pool_size` connections; requests are spread over them."),
      integer("storage.max_concurrent_pages", 2L, 1, 64, "Large reads (a page of runs, a session's chat history) one storage instance runs at once; the rest wait in order, so point queries never queue behind them."),
      bool("storage.postgres.row_level_security", true, "PostgreSQL row-level security as a second wall under the statements' own owner and tenant predicates: every statement runs in a transaction that sets its owner and tenant (docs/isolation.md, \"Two walls\"). Needs `app_role`, or a login that is neither superuser nor `BYPASSRLS`."),
      string("storage.postgres.app_role", "agentos_app", "With `row_level_security` on, the role the service's statements run as (sent as the connection's `role`, so a connection that cannot take it fails instead of running as the login); created and granted by the migrations when the login may. Empty: the login itself, which must then be neither superuser nor `BYPASSRLS`."),
      integer("storage.decision_retention_days", 30L, 1, 3_650, "How long decision records are kept (docs/authorization.md, \"Decision records\"); older ones are deleted hourly by every storage verticle."),
      integer("storage.request_timeout_ms", 10_000L, 100, 120_000, "How long any verticle waits for the storage verticle's answer (one client per verticle, this one timeout) before it answers 503."),
      bool("storage.postgres.embedded", null, "Start an embedded PostgreSQL (cannot run as root). Unset: only in dev mode and only when no server is configured (neither `url`/`host` nor a libpq variable). `true` with a configured server is a config error; `false` never starts one."),
      string("storage.postgres.embedded_data_dir", "data/postgres", "Where the embedded server keeps its data (relative to the working directory), kept across restarts, with durable commits (`fsync`, `synchronous_commit` on)."),

      bool("cluster.enabled", false, "Start clustered (Infinispan/JGroups cluster manager): verticles on every node share one event bus."),
      string("cluster.name", "agentos", "Cluster name; nodes with another name never join this cluster. Nodes whose authorization, registry, storage or os id settings differ are refused at join (both log which section)."),
      oneOf("cluster.discovery", "tcp", List.of("tcp", "kubernetes"), "How members find each other: `tcp` = the `members` list; `kubernetes` = DNS lookup of `kubernetes_service_dns` (a headless Service). Never multicast."),
      list("cluster.members", List.of(), false, "TCP/IP discovery: other members as `host:port` (their `cluster.port`)."),
      string("cluster.kubernetes_service_dns", null, "Kubernetes discovery: DNS name of the headless Service, e.g. `agentos-cluster.agentos.svc.cluster.local`."),
      string("cluster.host", "127.0.0.1", "Address the cluster member and the event bus bind (the pod IP in Kubernetes)."),
      string("cluster.public_host", null, "Address other nodes use to reach this one; default `cluster.host`."),
      integer("cluster.port", 5701L, 1, 65535, "Membership (JGroups) port: mutual TLS with credentials."),
      integer("cluster.event_bus_port", 5801L, 1, 65535, "Event-bus port (node-to-node messages): mutual TLS with credentials."),
      string("cluster.security.credentials_dir", null, "Directory with this node's cluster credentials (`ca.pem`, `node.pem`, `node-key.pem`; made by `java -jar agentos.jar cluster-credentials`). Required with `cluster.enabled` unless `insecure`."),
      bool("cluster.security.insecure", false, "Run a cluster with no authentication or encryption between nodes (logs a warning every minute; metric `agentos_cluster_insecure`). Only for a network nothing else can reach."),
      integer("cluster.security.reload_seconds", 10L, 1, 3600, "How often the credential files are checked; changed files are loaded without a restart (new connections use them)."),
      integer("cluster.member_timeout_seconds", 10L, 2, 600, "A member that sends no heartbeat for this long is removed from the cluster."),
      list("cluster.verticles", Placement.ALL_NAMES, false, "Verticles this node runs (`http`, `policy`, `storage`, `runtime`); e.g. `[http]` for an HTTP-only node. Outside a cluster a node must run all four."),

      oneOf("logging.access_log", "plain", List.of("plain", "json", "off"), "Access log: one line per request."),
      oneOf("logging.level", "INFO", List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR"), "Root log level."));

  private static final Map<String, ConfigKey> BY_PATH = new LinkedHashMap<>();

  static {
    for (ConfigKey key : KEYS) BY_PATH.put(key.path(), key);
  }

  public static ConfigKey key(String path) {
    return BY_PATH.get(path);
  }

  /** True when {@code path} is a prefix of some key (a section such as {@code storage.postgres}). */
  static boolean isSection(String path) {
    String prefix = path + ".";
    return KEYS.stream().anyMatch(k -> k.path().startsWith(prefix));
  }
}
