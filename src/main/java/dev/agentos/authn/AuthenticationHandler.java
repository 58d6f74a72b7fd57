package dev.agentos.authn;

import dev.agentos.common.ClientAddresses;
import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.common.Fnmatch;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The router's authentication step. Excluded routes pass with no identity; every other request must carry
 * an acceptable credential, or the request fails with an {@link AuthenticationException} (a 401 from the
 * failure handler). Any unexpected error is also a 401: nothing here can let a request through by failing.
 *
 * <p>One instance per HttpVerticle (so per event loop): its cache and key set belong to that verticle.
 * HMAC tokens are verified inline (a few microseconds); asymmetric ones on a worker thread, so a burst of
 * new ES256 tokens cannot stall an event loop.
 */
public final class AuthenticationHandler implements Handler<RoutingContext> {
  public static final String PRINCIPAL_KEY = "agentos.principal";

  private final Vertx vertx;
  private final AgentOsConfig.Authorization config;
  private final JwtVerifier verifier;
  private final ClaimMapper claims;
  private final VerifiedTokenCache cache;
  private final List<String> excludedPatterns;
  private final List<Pattern> excluded;
  private final java.util.Set<String> excludedExactly;
  /** RFC 9728 metadata paths (public when the metadata is configured). */
  private final java.util.Set<String> metadataPaths;
  private final byte[] securityKeyDigest;
  private final Mode mode;
  private NodeJwks jwksSource;
  private ServiceAccountVerifier serviceAccounts;

  private enum Mode { JWT, SECURITY_KEY, NONE }

  public AuthenticationHandler(Vertx vertx, AgentOsConfig.Authorization config, JwtVerifier verifier) {
    this.vertx = vertx;
    this.config = config;
    this.verifier = verifier;
    this.claims = new ClaimMapper(config);
    this.cache = new VerifiedTokenCache(config.tokenCacheSize());
    this.excludedPatterns = config.excludedRoutePaths();
    // literal patterns are a set look-up; only the others are regular expressions (this runs on every request)
    this.excludedExactly = excludedPatterns.stream().filter(Fnmatch::isLiteral).collect(java.util.stream.Collectors.toUnmodifiableSet());
    this.excluded = excludedPatterns.stream().filter(p -> !Fnmatch.isLiteral(p)).map(Fnmatch::compile).toList();
    this.metadataPaths = config.resourceMetadata().map(m -> java.util.Set.of(AgentOsConfig.ResourceMetadata.WELL_KNOWN, m.metadataPath()))
        .orElse(java.util.Set.of());
    this.securityKeyDigest = config.securityKey().map(AuthenticationHandler::sha256).orElse(null);
    this.mode = config.hasJwtSource() ? Mode.JWT : config.securityKey().isPresent() ? Mode.SECURITY_KEY : Mode.NONE;
  }

  /** Called when the verifier's key set changes: cached tokens may have been signed by a removed key. */
  public void keysChanged() {
    cache.clear();
  }

  /** Enables service-account tokens ({@value ServiceAccountTokens#PREFIX}...) in every mode. */
  public void useServiceAccounts(ServiceAccountVerifier verifier) {
    this.serviceAccounts = verifier;
  }

  /** With a JWKS URL, a token naming an unknown kid starts (at most one debounced) background refresh. */
  public void useJwksSource(NodeJwks source) {
    this.jwksSource = source;
  }

  public boolean isExcluded(String canonicalPath) {
    if (excludedExactly.contains(canonicalPath)) return true;
    // RFC 9728: the metadata says where to get a token, so it is read without one, whatever excluded_route_paths says
    if (metadataPaths.contains(canonicalPath)) return true;
    for (Pattern p : excluded) if (p.matcher(canonicalPath).matches()) return true;
    return false;
  }

  public static Optional<Principal> principal(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(PRINCIPAL_KEY));
  }

  @Override
  public void handle(RoutingContext ctx) {
    try {
      if (isExcluded(ctx.normalizedPath())) {
        ctx.next();
        return;
      }
      authenticate(ctx).onComplete(ar -> {
        if (ar.succeeded()) {
          ctx.put(PRINCIPAL_KEY, ar.result());
          ctx.next();
        } else {
          ctx.fail(401, asAuthenticationFailure(ar.cause()));
        }
      });
    } catch (Throwable t) {
      ctx.fail(401, asAuthenticationFailure(t));
    }
  }

  /**
   * A bearer JWT verified exactly as on the request path (keys, JWKS refresh, claims, cache), for callers that
   * hold a token rather than a request: the what-if check. Service-account tokens are not JWTs and fail here.
   */
  public Future<Principal> verifyToken(String token) {
    try {
      if (ServiceAccountTokens.looksLikeOne(token)) {
        return Future.failedFuture(AuthenticationException.invalid("a service-account token is not a JWT"));
      }
      return authenticateJwt(null, token);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Principal> authenticate(RoutingContext ctx) {
    switch (mode) {
      case NONE: {
        // agno: on an open instance a service-account token that verifies is attributed and enforced; one
        // that does not is ignored and the request proceeds anonymously.
        Optional<String> bearer = headerToken(ctx);
        if (bearer.isPresent() && serviceAccounts != null && ServiceAccountTokens.looksLikeOne(bearer.get())) {
          return serviceAccounts.verify(bearer.get(), clientAddress(ctx)).recover(e -> Future.succeededFuture(Principal.anonymous()));
        }
        return Future.succeededFuture(Principal.anonymous());
      }
      case SECURITY_KEY: {
        String token = headerToken(ctx).orElseThrow(() -> AuthenticationException.missing("Authorization header required"));
        if (ServiceAccountTokens.looksLikeOne(token)) return verifyServiceAccount(ctx, token);
        refuseActingFor(ctx);
        if (!MessageDigest.isEqual(sha256(token), securityKeyDigest)) {
          throw new AuthenticationException("Invalid authentication token");
        }
        return Future.succeededFuture(Principal.securityKey());
      }
      default: {
        String token = extractToken(ctx);
        if (ServiceAccountTokens.looksLikeOne(token)) return verifyServiceAccount(ctx, token);
        refuseActingFor(ctx);
        return authenticateJwt(ctx, token);
      }
    }
  }

  /** A bearer with the service-account prefix is never parsed as a JWT. */
  private Future<Principal> verifyServiceAccount(RoutingContext ctx, String token) {
    if (serviceAccounts == null) {
      return Future.failedFuture(new AuthenticationException("Service accounts are not enabled on this AgentOS instance"));
    }
    String actingFor = actingFor(ctx);
    Future<Principal> account = serviceAccounts.verify(token, clientAddress(ctx));
    return actingFor == null ? account : account.map(sa -> represented(sa, actingFor));
  }

  /** Only a service account acts for a user by naming them: with any other credential the header is refused, not ignored. */
  private static void refuseActingFor(RoutingContext ctx) {
    if (ctx.request().headers().contains(ACTING_FOR_HEADER)) {
      throw new AuthenticationException(400, ACTING_FOR_HEADER + " is for service-account tokens; a user's delegated token carries act", null);
    }
  }

  /** The header a service account names the user it acts for with (docs/authorization.md, "Delegation"). */
  public static final String ACTING_FOR_HEADER = "X-Acting-For";

  /**
   * The {@value #ACTING_FOR_HEADER} subject, or null: once, a bounded printable id, never a service account or a reserved
   * id (401 otherwise: a request that names its subject badly is not authenticated as anyone).
   */
  private static String actingFor(RoutingContext ctx) {
    List<String> values = ctx.request().headers().getAll(ACTING_FOR_HEADER);
    if (values.isEmpty()) return null;
    String sub = values.get(0);
    if (values.size() > 1 || sub.isEmpty() || sub.length() > 256 || !ClaimMapper.storable(sub) || ClaimMapper.isReserved(sub)
        || sub.startsWith("sa:") || sub.codePoints().anyMatch(Character::isISOControl)) {
      throw AuthenticationException.invalid("Invalid " + ACTING_FOR_HEADER + " header");
    }
    return sub;
  }

  /**
   * A service account acting for a user: the user is the subject (with no token of theirs, only what the users directory
   * and managed roles give them), the account its one actor; the policy allows it only for a user who consented, and
   * only what both may do. The account's minting user stays named, so disabling that user stops this too.
   */
  private static Principal represented(Principal account, String subject) {
    JsonObject claims = new JsonObject();
    Object mintedFor = account.claims().getValue(Principal.MINTED_FOR_CLAIM);
    if (mintedFor != null) claims.put(Principal.MINTED_FOR_CLAIM, mintedFor);
    return new Principal(Principal.Kind.REPRESENTED, Optional.of(subject), List.of(), List.of(), Optional.empty(), claims,
        account.expiresAt(), account.tenantId(), account.tokenRef(),
        List.of(new Principal.Actor(account.userId().orElseThrow(), Optional.empty(), Optional.empty())));
  }

  private ClientAddresses clientAddresses = ClientAddresses.of(List.of());

  /** Where the client address (for per-client limits) comes from: see {@link ClientAddresses}. */
  public void useClientAddresses(ClientAddresses addresses) {
    this.clientAddresses = addresses;
  }

  private String clientAddress(RoutingContext ctx) {
    return clientAddresses.of(ctx.request());
  }

  private Future<Principal> authenticateJwt(RoutingContext ctx, String token) {
    if (!config.validate()) {
      // agno: an undecodable token under validate=false is authenticated-but-empty.
      JsonObject payload;
      try {
        payload = JwtVerifier.decodeUnverified(token);
      } catch (AuthenticationException e) {
        payload = new JsonObject();
      }
      return Future.succeededFuture(claims.toPrincipal(payload, Principal.Kind.UNVERIFIED, token));
    }
    String cacheKey = VerifiedTokenCache.keyOf(token);
    Principal cached = cache.get(cacheKey);
    if (cached != null) return Future.succeededFuture(cached);
    JwtVerifier.Decoded decoded = JwtVerifier.decode(token);
    if (jwksSource != null && decoded.header().getValue("kid") instanceof String kid && !verifier.keys().knowsKid(kid)) {
      // A key the node has not seen yet (a rotation at the identity provider): wait, bounded and on the event bus,
      // for the node's one refresh, then judge the token on the newest set. Never a fetch of our own per request.
      return jwksSource.awaitKid(kid).compose(v -> verifyDecoded(token, cacheKey, decoded));
    }
    return verifyDecoded(token, cacheKey, decoded);
  }

  private Future<Principal> verifyDecoded(String token, String cacheKey, JwtVerifier.Decoded decoded) {
    String alg = decoded.alg();
    if (alg.startsWith("HS")) {
      Principal p = verifyAndMap(token);
      cache.put(cacheKey, p);
      return Future.succeededFuture(p);
    }
    return verifyOffLoop(token, cacheKey);
  }

  private Future<Principal> verifyOffLoop(String token, String cacheKey) {
    return vertx.executeBlocking(() -> verifyAndMap(token), false).onSuccess(p -> cache.put(cacheKey, p));
  }

  private Principal verifyAndMap(String token) {
    JsonObject payload = verifier.verify(token, System.currentTimeMillis() / 1000);
    return claims.toPrincipal(payload, Principal.Kind.JWT, token);
  }

  private String extractToken(RoutingContext ctx) {
    switch (config.tokenSource()) {
      case COOKIE:
        return cookieToken(ctx).orElseThrow(() ->
            AuthenticationException.missing("JWT cookie '" + config.cookieName() + "' missing"));
      case BOTH: {
        Optional<String> header = headerToken(ctx);
        if (header.isPresent()) return header.get();
        return cookieToken(ctx).orElseThrow(() -> AuthenticationException.missing(
            "JWT token missing from both Authorization header and '" + config.cookieName() + "' cookie"));
      }
      default:
        return headerToken(ctx).orElseThrow(() -> AuthenticationException.missing("Authorization header missing"));
    }
  }

  /** agno §1.5: "Bearer " (any case) is stripped; otherwise the whole value is the token. Two headers: 401. */
  private Optional<String> headerToken(RoutingContext ctx) {
    List<String> values = ctx.request().headers().getAll(config.tokenHeaderKey());
    if (values.size() > 1) throw AuthenticationException.invalid("Multiple authorization headers");
    if (values.isEmpty()) return Optional.empty();
    String value = values.get(0);
    String token = value.toLowerCase(Locale.ROOT).startsWith("bearer ") ? value.substring(7).strip() : value.strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  /**
   * The token cookie. Two of them (in one {@code Cookie} header or in two) are a 401, as two Authorization headers
   * are: which one a proxy or framework takes differs, so neither is trusted.
   */
  private Optional<String> cookieToken(RoutingContext ctx) {
    String found = null;
    int count = 0;
    for (String header : ctx.request().headers().getAll("Cookie")) {
      for (io.netty.handler.codec.http.cookie.Cookie c : io.netty.handler.codec.http.cookie.ServerCookieDecoder.LAX.decodeAll(header)) {
        if (c.name().equals(config.cookieName())) {
          count++;
          found = c.value();
        }
      }
    }
    if (count > 1) throw AuthenticationException.invalid("Multiple token cookies");
    String token = found == null ? "" : found.strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  private static AuthenticationException asAuthenticationFailure(Throwable t) {
    if (t instanceof AuthenticationException a) return a;
    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = msg.indexOf('\n');
    return new AuthenticationException("Error decoding token: " + (nl < 0 ? msg : msg.substring(0, nl)));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
