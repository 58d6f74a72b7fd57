package dev.agentos.contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who is calling, as established by authentication: attached to the routing context for the policy step
 * and sent (as JSON, see {@link #toJson()}) to the policy and storage verticles. Never holds the raw token.
 *
 * @param kind        how the caller was authenticated
 * @param userId      the user id claim, when present
 * @param scopes      scopes as granted by the token (before role expansion)
 * @param roles       role names from the roles claim
 * @param sessionId   the session id claim, when present
 * @param claims      the claims named by dependencies_claims / session_state_claims, copied for runs
 * @param expiresAt   the token's exp (epoch seconds), or 0 when it has none
 * @param tenantId    the tenant claim ({@code authorization.tenant_id_claim}), or a service account's stored tenant;
 *                    empty when tenants are off or the token has none (the policy decides what that means)
 * @param tokenRef    what names the credential in decision records without being it: the token's {@code jti}, a
 *                    {@code sha256:} prefix of the token, or a service account's id; never the token
 * @param actors      a delegated token's actor chain (RFC 8693 {@code act}), the current actor first, then each earlier
 *                    one; empty when the subject acts itself (docs/authorization.md, "Delegation")
 */
public record Principal(Kind kind, Optional<String> userId, List<String> scopes, List<String> roles,
                        Optional<String> sessionId, JsonObject claims, long expiresAt, Optional<String> tenantId,
                        Optional<String> tokenRef, List<Actor> actors) {

  /** One party acting for the subject: its {@code sub}, and the {@code client_id} and {@code iss} its {@code act} names. */
  public record Actor(String sub, Optional<String> clientId, Optional<String> issuer) {
    public Actor {
      if (sub == null || sub.isEmpty()) throw new IllegalArgumentException("an actor needs a sub");
      clientId = clientId == null ? Optional.empty() : clientId;
      issuer = issuer == null ? Optional.empty() : issuer;
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("sub", sub);
      clientId.ifPresent(c -> json.put("client_id", c));
      issuer.ifPresent(i -> json.put("iss", i));
      return json;
    }

    public static Actor fromJson(JsonObject json) {
      if (!(json.getValue("sub") instanceof String sub)) throw new IllegalArgumentException("an actor needs a string sub");
      Object client = json.getValue("client_id");
      Object iss = json.getValue("iss");
      if (client != null && !(client instanceof String) || iss != null && !(iss instanceof String)) {
        throw new IllegalArgumentException("an actor's client_id and iss are strings");
      }
      return new Actor(sub, Optional.ofNullable((String) client), Optional.ofNullable((String) iss));
    }
  }

  /** A principal of its own (no actor chain). */
  public Principal(Kind kind, Optional<String> userId, List<String> scopes, List<String> roles, Optional<String> sessionId,
                   JsonObject claims, long expiresAt, Optional<String> tenantId, Optional<String> tokenRef) {
    this(kind, userId, scopes, roles, sessionId, claims, expiresAt, tenantId, tokenRef, List.of());
  }

  /** The same principal acting itself: what the policy decides for the subject of a delegated request. */
  public Principal withoutActors() {
    return actors.isEmpty() ? this : new Principal(kind, userId, scopes, roles, sessionId, claims, expiresAt, tenantId, tokenRef, List.of());
  }

  /**
   * The claim of a service account's principal (set by the service, never read from a token) that names the user the
   * account acts for: who minted it, or who minted the account that minted it. The users directory's kill switch
   * checks that user.
   */
  public static final String MINTED_FOR_CLAIM = "minted_for";

  /**
   * Where a token's principal carries its {@code email} and {@code name} claims (cleaned, bounded), for the users
   * directory's entry on the subject's first request; never an authorization input.
   */
  public static final String PROFILE_CLAIM = "_profile";

  public enum Kind {
    /** A verified JWT. */
    JWT,
    /** A service-account token (agentos_pat_...): principal sa:&lt;name&gt;, its stored scopes always enforced. */
    SERVICE_ACCOUNT,
    /** agno's OS security key: an unscoped root. */
    SECURITY_KEY,
    /** validate: false: claims decoded without verification (development only). */
    UNVERIFIED,
    /** No authentication is configured (agno's auth_mode "none"). */
    ANONYMOUS,
    /**
     * An actor of a delegated request, as the policy evaluates it: its own grants (the actor registry, its managed
     * roles), never a caller's credential.
     */
    ACTOR,
    /**
     * A user a service account acts for ({@code X-Acting-For}): the subject of a delegated request made with the
     * account's token, holding only its managed roles (there is no token of the user's); the account is its actor.
     */
    REPRESENTED
  }

  /** A principal of no tenant (tenants off, or the claim absent). */
  public Principal(Kind kind, Optional<String> userId, List<String> scopes, List<String> roles, Optional<String> sessionId,
                   JsonObject claims, long expiresAt) {
    this(kind, userId, scopes, roles, sessionId, claims, expiresAt, Optional.empty(), Optional.empty());
  }

  public Principal(Kind kind, Optional<String> userId, List<String> scopes, List<String> roles, Optional<String> sessionId,
                   JsonObject claims, long expiresAt, Optional<String> tenantId) {
    this(kind, userId, scopes, roles, sessionId, claims, expiresAt, tenantId, Optional.empty());
  }

  public Principal {
    tenantId = tenantId == null ? Optional.empty() : tenantId;
    tokenRef = tokenRef == null ? Optional.empty() : tokenRef;
    actors = actors == null ? List.of() : List.copyOf(actors);
    scopes = List.copyOf(scopes);
    roles = List.copyOf(roles);
    claims = claims == null ? new JsonObject() : claims.copy();
  }

  public static Principal anonymous() {
    return new Principal(Kind.ANONYMOUS, Optional.empty(), List.of(), List.of(), Optional.empty(), new JsonObject(), 0);
  }

  public static Principal securityKey() {
    return new Principal(Kind.SECURITY_KEY, Optional.empty(), List.of(), List.of(), Optional.empty(), new JsonObject(), 0);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("kind", kind.name()).put("scopes", new JsonArray(scopes))
        .put("roles", new JsonArray(roles)).put("claims", claims).put("expires_at", expiresAt);
    userId.ifPresent(u -> json.put("user_id", u));
    sessionId.ifPresent(s -> json.put("session_id", s));
    tenantId.ifPresent(t -> json.put("tenant_id", t));
    tokenRef.ifPresent(t -> json.put("token_ref", t));
    if (!actors.isEmpty()) json.put("actors", new JsonArray(actors.stream().map(Actor::toJson).toList()));
    return json;
  }

  /** The inverse of {@link #toJson()}; throws {@link IllegalArgumentException} on a malformed message. */
  public static Principal fromJson(JsonObject json) {
    if (json == null) throw new IllegalArgumentException("principal missing");
    try {
      Kind kind = Kind.valueOf(json.getString("kind"));
      return new Principal(kind, Optional.ofNullable(json.getString("user_id")), strings(json.getJsonArray("scopes")),
          strings(json.getJsonArray("roles")), Optional.ofNullable(json.getString("session_id")),
          json.getJsonObject("claims", new JsonObject()), json.getLong("expires_at", 0L),
          Optional.ofNullable(json.getString("tenant_id")), Optional.ofNullable(json.getString("token_ref")),
          actors(json.getJsonArray("actors")));
    } catch (ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("malformed principal", e);
    }
  }

  private static List<Actor> actors(JsonArray array) {
    List<Actor> out = new ArrayList<>();
    if (array == null) return out;
    for (Object o : array) {
      if (!(o instanceof JsonObject a)) throw new IllegalArgumentException("an actor is an object");
      out.add(Actor.fromJson(a));
    }
    return out;
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    if (array == null) return out;
    for (Object o : array) {
      if (!(o instanceof String s)) throw new IllegalArgumentException("non-string scope or role");
      out.add(s);
    }
    return out;
  }
}
