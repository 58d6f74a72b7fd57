package dev.agentos.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The validated, immutable configuration, built once at start-up by {@link ConfigLoader} and handed to
 * every verticle. Nothing else in the service reads files or environment variables for settings.
 */
public record AgentOsConfig(Os os, Http http, Authorization authorization, Postgres postgres, Logging logging,
                            Registry registry, Cluster cluster) {

  public record Os(Optional<String> id, Optional<String> name, Optional<String> description, String version,
                   boolean devMode) {}

  public record Http(String host, int port, Optional<Integer> instances, long maxBodyBytes, int maxHeaderBytes,
                     int maxInitialLineBytes, List<String> corsAllowedOrigins, int shutdownTimeoutSeconds,
                     int maxConnections, int maxStreams, int headerTimeoutSeconds, int idleTimeoutSeconds,
                     List<String> trustedProxies) {

    /** This instance's share of a per-node budget: connections are spread round-robin over the instances. */
    public int perInstance(int budget) {
      int n = instances.orElse(io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);
      return Math.max(1, (budget + n - 1) / n);
    }
  }

  public enum TokenSource { HEADER, COOKIE, BOTH }

  public record Authorization(
      boolean enabled,
      boolean validate,
      List<String> algorithms,
      List<String> verificationKeys,
      Optional<String> jwksFile,
      Optional<String> jwksUrl,
      int jwksRefreshMinSeconds,
      int jwksRefreshMaxSeconds,
      Optional<String> issuer,
      boolean verifyAudience,
      List<String> audience,
      int leewaySeconds,
      boolean requireExp,
      TokenSource tokenSource,
      String tokenHeaderKey,
      String cookieName,
      String scopesClaim,
      String userIdClaim,
      String sessionIdClaim,
      String rolesClaim,
      List<String> dependenciesClaims,
      List<String> sessionStateClaims,
      String adminScope,
      boolean userIsolation,
      Map<String, List<String>> scopeMappings,
      Map<String, RoleDefinition> roles,
      List<String> excludedRoutePaths,
      Optional<String> securityKey,
      int tokenCacheSize,
      int serviceAccountCacheTtlSeconds,
      int serviceAccountFailuresPerMinute,
      int decisionLogAllowPercent,
      int policyTimeoutMs,
      Optional<Long> maxTokenLifetimeSeconds,
      int policyInstances,
      Optional<String> tenantIdClaim,
      Optional<String> platformAdminScope,
      boolean trustTokenScopes,
      boolean decisionRecords,
      int decisionRecordsQueue,
      Optional<String> defaultRole,
      boolean autoProvisionUsers,
      boolean discovery,
      Optional<ResourceMetadata> resourceMetadata,
      Map<String, ActorDefinition> actors,
      boolean actorsRequired,
      int maxDelegationDepth,
      boolean strictTeamMembers) {

    /**
     * The keys come from a URL: {@code jwks_url}, or the {@code jwks_uri} of the issuer's OpenID configuration
     * ({@code discovery}).
     */
    public boolean remoteJwks() {
      return jwksUrl.isPresent() || discovery;
    }

    /** Tenants are on: every caller acts in the tenant its token names (docs/isolation.md, "Tenants"). */
    public boolean tenants() {
      return tenantIdClaim.isPresent();
    }

    /** A JWT source is configured: keys, a JWKS file or URL (or discovery), or unverified decoding. */
    public boolean hasJwtSource() {
      return !verificationKeys.isEmpty() || jwksFile.isPresent() || remoteJwks() || !validate;
    }

    /** agno's auth_mode as reported by {@code /info}. */
    public String authMode() {
      if (hasJwtSource()) return "jwt";
      if (securityKey.isPresent()) return "security_key";
      return "none";
    }

    /** The audiences a token must name when {@link #verifyAudience()} is on: configured, else the os id. */
    public List<String> expectedAudience(Optional<String> osId) {
      if (!audience.isEmpty()) return audience;
      return osId.map(List::of).orElse(List.of());
    }

    @Override
    public String toString() {
      // Records print every component; this one holds secrets.
      return "Authorization[enabled=" + enabled + ", validate=" + validate + ", algorithms=" + algorithms
          + ", keys=" + verificationKeys.size() + ", jwksFile=" + jwksFile + ", jwksUrl=" + jwksUrl + "]";
    }
  }

  /**
   * RFC 9728 protected resource metadata ({@code authorization.resource_metadata}): this service's resource identifier,
   * the authorization servers that issue tokens for it, and a documentation URL; served at
   * {@code /.well-known/oauth-protected-resource} and named in every 401's challenge.
   */
  public record ResourceMetadata(String resource, List<String> authorizationServers, Optional<String> documentation) {
    /** Where the metadata is (RFC 9728 §3.1: the well-known path inserted between the host and the resource's path). */
    public String metadataUrl() {
      java.net.URI uri = java.net.URI.create(resource);
      String path = uri.getRawPath() == null || uri.getRawPath().equals("/") ? "" : uri.getRawPath();
      return uri.getScheme() + "://" + uri.getRawAuthority() + WELL_KNOWN + path;
    }

    /** The path this service answers the metadata on. */
    public String metadataPath() {
      java.net.URI uri = java.net.URI.create(resource);
      String path = uri.getRawPath() == null || uri.getRawPath().equals("/") ? "" : uri.getRawPath();
      return WELL_KNOWN + path;
    }

    public static final String WELL_KNOWN = "/.well-known/oauth-protected-resource";
  }

  /**
   * An actor of delegated requests ({@code authorization.actors}): the scopes it may use for any subject, and the longest
   * chain it may be part of.
   */
  public record ActorDefinition(List<String> scopes, Optional<Integer> maxChain) {}

  /** A role: the scopes it grants and the scopes it denies (a deny beats every allow, the admin scope included). */
  public record RoleDefinition(List<String> scopes, List<String> deny) {}

  /**
   * Where the database is. {@code embedded} is the resolved choice (start an embedded server), {@code source}
   * what decided where the database is (a key, the libpq variables, dev mode), empty when nothing did.
   */
  public record Postgres(Optional<String> url, Optional<String> host, int port, Optional<String> database,
                         Optional<String> user, Optional<String> password, int poolSize, boolean embedded,
                         java.nio.file.Path embeddedDataDir, Optional<String> source, int requestTimeoutMs, int instances,
                         int maxConcurrentPages, boolean rowLevelSecurity, String appRole, int decisionRetentionDays) {
    @Override
    public String toString() {
      return "Postgres[host=" + host + ", port=" + port + ", database=" + database + ", user=" + user
          + ", url=" + url.map(u -> "(set)") + ", embedded=" + embedded + ", source=" + source.orElse("none") + "]";
    }
  }

  public record Logging(String accessLog, String level) {}

  public enum Discovery { TCP, KUBERNETES }

  /**
   * Clustering. {@code verticles} is this node's placement; outside a cluster it is always {@link Placement#ALL}.
   */
  public record Cluster(boolean enabled, String name, Discovery discovery, List<String> members,
                        Optional<String> kubernetesServiceDns, String host, String publicHost, int port, int eventBusPort,
                        int memberTimeoutSeconds, Placement verticles, Optional<java.nio.file.Path> credentialsDir,
                        boolean insecure, int credentialsReloadSeconds) {}

  /** The dev-mode variant: a generated HS256 secret becomes the only verification key. */
  public AgentOsConfig withDevSecret(String secret) {
    Authorization a = authorization;
    Authorization dev = new Authorization(a.enabled, a.validate, List.of("HS256"), List.of(secret), a.jwksFile,
        a.jwksUrl, a.jwksRefreshMinSeconds, a.jwksRefreshMaxSeconds, a.issuer, a.verifyAudience, a.audience,
        a.leewaySeconds, a.requireExp, a.tokenSource, a.tokenHeaderKey, a.cookieName, a.scopesClaim, a.userIdClaim,
        a.sessionIdClaim, a.rolesClaim, a.dependenciesClaims, a.sessionStateClaims, a.adminScope, a.userIsolation,
        a.scopeMappings, a.roles, a.excludedRoutePaths, a.securityKey, a.tokenCacheSize, a.serviceAccountCacheTtlSeconds, a.serviceAccountFailuresPerMinute,
        a.decisionLogAllowPercent, a.policyTimeoutMs, a.maxTokenLifetimeSeconds, a.policyInstances, a.tenantIdClaim,
        a.platformAdminScope, a.trustTokenScopes, a.decisionRecords, a.decisionRecordsQueue, a.defaultRole, a.autoProvisionUsers,
        a.discovery, a.resourceMetadata, a.actors, a.actorsRequired, a.maxDelegationDepth, a.strictTeamMembers);
    return new AgentOsConfig(os, http, dev, postgres, logging, registry, cluster);
  }
}
