package dev.agentos.authn;

import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the configured claims (dotted paths allowed) of a verified payload into a {@link Principal}. */
public final class ClaimMapper {
  private final AgentOsConfig.Authorization config;

  public ClaimMapper(AgentOsConfig.Authorization config) {
    this.config = config;
  }

  public Principal toPrincipal(JsonObject payload, Principal.Kind kind) {
    return toPrincipal(payload, kind, null);
  }

  /**
   * The principal of a token; {@code token} (when given) names it in decision records as its {@code jti}, or else as
   * the first 12 hex digits of its SHA-256, never as itself.
   */
  public Principal toPrincipal(JsonObject payload, Principal.Kind kind, String token) {
    return principal(payload, kind, tokenRef(payload, token));
  }

  static Optional<String> tokenRef(JsonObject payload, String token) {
    if (payload.getValue("jti") instanceof String jti && !jti.isEmpty() && jti.length() <= 128 && jti.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      return Optional.of("jti:" + jti);
    }
    if (token == null) return Optional.empty();
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return Optional.of("sha256:" + java.util.HexFormat.of().formatHex(digest, 0, 6));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Principal principal(JsonObject payload, Principal.Kind kind, Optional<String> tokenRef) {
    Optional<String> userId = stringClaim(payload, config.userIdClaim(), "Subject must be a string");
    if (userId.isPresent() && isReserved(userId.get())) throw new AuthenticationException("Invalid token subject");
    // a user id is stored as text (the owner of rows): one PostgreSQL cannot hold is no subject, never a failed query
    if (userId.isPresent() && !storable(userId.get())) throw AuthenticationException.invalid("Invalid token subject");
    Object sub = payload.getValue("sub");
    if (sub instanceof String s && isReserved(s)) throw new AuthenticationException("Invalid token subject");

    Object scopesValue = lookup(payload, config.scopesClaim());
    if (scopesValue == null) scopesValue = payload.getValue("scope");
    List<String> scopes = stringsOrSplit(scopesValue);
    List<String> roles = stringsOrSplit(lookup(payload, config.rolesClaim()));
    Optional<String> sessionId = Optional.ofNullable(lookup(payload, config.sessionIdClaim()))
        .filter(String.class::isInstance).map(String.class::cast);

    JsonObject copied = new JsonObject();
    for (String claim : config.dependenciesClaims()) copy(payload, claim, copied);
    for (String claim : config.sessionStateClaims()) copy(payload, claim, copied);
    JsonObject profile = profile(payload);
    if (!profile.isEmpty()) copied.put(Principal.PROFILE_CLAIM, profile);
    Object exp = payload.getValue("exp");
    long expiresAt = exp instanceof Number n ? n.longValue() : 0L;
    return new Principal(kind, userId, scopes, roles, sessionId, copied, expiresAt, tenant(payload), tokenRef, actors(payload));
  }

  /** Deeper than this an {@code act} claim is no chain anyone issues; the policy's limit is lower (max_delegation_depth). */
  static final int MAX_ACT_NESTING = 16;

  /**
   * RFC 8693 §4.1 {@code act}: the current actor, each nested {@code act} an earlier one. Each is an object with a
   * string {@code sub} (and optional string {@code client_id}, {@code iss}); anything else makes the token invalid
   * (401): a chain read in part would decide on fewer parties than the token names. {@code may_act} (§4.4) says who may
   * act, not who did, and is ignored.
   */
  static List<Principal.Actor> actors(JsonObject payload) {
    Object act = payload.getValue("act");
    List<Principal.Actor> chain = new ArrayList<>();
    while (act != null) {
      if (!(act instanceof JsonObject a)) throw AuthenticationException.invalid("Invalid act claim");
      if (chain.size() == MAX_ACT_NESTING) throw AuthenticationException.invalid("Invalid act claim: nested too deep");
      Object sub = a.getValue("sub");
      Object client = a.getValue("client_id");
      Object iss = a.getValue("iss");
      if (!(sub instanceof String s) || s.isEmpty() || s.length() > 256 || !storable(s) || isReserved(s)
          || client != null && !(client instanceof String) || iss != null && !(iss instanceof String)) {
        throw AuthenticationException.invalid("Invalid act claim");
      }
      chain.add(new Principal.Actor(s, Optional.ofNullable((String) client), Optional.ofNullable((String) iss)));
      act = a.getValue("act");
    }
    return List.copyOf(chain);
  }

  /**
   * The tenant claim, when tenants are on: absent is empty (the policy refuses such a token with 403); a value that is
   * not a tenant id (a non-string, empty, or outside the id alphabet) makes the token invalid (401), since reading it
   * as "no tenant" or as another tenant would both be guesses.
   */
  private Optional<String> tenant(JsonObject payload) {
    if (config.tenantIdClaim().isEmpty()) return Optional.empty();
    Object v = lookup(payload, config.tenantIdClaim().get());
    if (v == null) return Optional.empty();
    if (!(v instanceof String s) || !dev.agentos.contract.Owner.validTenantId(s)) {
      throw AuthenticationException.invalid("Invalid tenant claim");
    }
    return Optional.of(s);
  }

  /** Text PostgreSQL can store: no NUL, no unpaired surrogate. */
  static boolean storable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) return false;
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** agno §2.4: service-account, OAuth and scheduler principals cannot be claimed by a JWT. */
  public static boolean isReserved(String subject) {
    return subject.startsWith("sa:") || subject.startsWith("__oauth__:") || subject.equals("__scheduler__");
  }

  /**
   * The token's {@code email} and {@code name}, for the users directory's first-request entry: strings only, bounded,
   * control characters removed; a claim that is none of that is left out (a profile is a label, never a reason to refuse).
   */
  static JsonObject profile(JsonObject payload) {
    JsonObject profile = new JsonObject();
    label(payload.getValue("email"), 320).ifPresent(v -> profile.put("email", v));
    label(payload.getValue("name"), 255).ifPresent(v -> profile.put("name", v));
    return profile;
  }

  private static Optional<String> label(Object value, int max) {
    if (!(value instanceof String s) || !storable(s)) return Optional.empty();
    String clean = s.codePoints().filter(c -> !Character.isISOControl(c))
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString().strip();
    return clean.isEmpty() || clean.length() > max ? Optional.empty() : Optional.of(clean);
  }

  private static void copy(JsonObject payload, String claim, JsonObject into) {
    Object v = lookup(payload, claim);
    if (v != null) into.put(claim, v);
  }

  private static Optional<String> stringClaim(JsonObject payload, String path, String typeError) {
    Object v = lookup(payload, path);
    if (v == null) return Optional.empty();
    if (!(v instanceof String s)) throw AuthenticationException.invalid(typeError);
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  /** A claim by name, or by dotted path into nested objects when no claim has the literal name. */
  static Object lookup(JsonObject payload, String path) {
    if (payload.containsKey(path)) return payload.getValue(path);
    if (!path.contains(".")) return null;
    Object node = payload;
    for (String part : path.split("\\.")) {
      if (!(node instanceof JsonObject obj)) return null;
      node = obj.getValue(part);
    }
    return node;
  }

  /** A list keeps its string items; a string is split on whitespace (OAuth2 {@code scope}); other types: none. */
  private static List<String> stringsOrSplit(Object value) {
    List<String> out = new ArrayList<>();
    if (value instanceof JsonArray arr) {
      for (Object o : arr) if (o instanceof String s) out.add(s);
    } else if (value instanceof String s) {
      for (String part : s.trim().split("\\s+")) if (!part.isEmpty()) out.add(part);
    }
    return out;
  }
}
