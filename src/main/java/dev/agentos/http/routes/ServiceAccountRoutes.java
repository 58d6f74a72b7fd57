package dev.agentos.http.routes;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.authn.ServiceAccountTokens;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Principal;
import dev.agentos.contract.StorageApi;
import dev.agentos.contract.StorageRequest;
import dev.agentos.http.support.DetailedFailure;
import dev.agentos.http.support.GrantRules;
import dev.agentos.http.support.JsonBodies;
import dev.agentos.http.support.RequestContext;
import dev.agentos.http.support.ValidationFailure;
import dev.agentos.http.support.VerticleFailures;
import dev.agentos.policy.Scope;
import dev.agentos.storage.StorageClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code /service-accounts}: mint (the token is shown once), list (metadata only), revoke (idempotent),
 * with agno's rules (docs/authorization.md): defaults, privileged scopes, the subset rule, 409 for an active name.
 */
public final class ServiceAccountRoutes {
  static final List<String> DEFAULT_SCOPES = List.of("agents:run", "teams:run", "workflows:run", "sessions:read", "config:read");
  private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,62}$");

  private final Vertx vertx;
  private final StorageClient storage;
  private final AgentOsConfig.Authorization config;

  private final dev.agentos.policy.PolicyClient policy;

  public ServiceAccountRoutes(Vertx vertx, AgentOsConfig.Authorization config, dev.agentos.policy.PolicyClient policy,
                       StorageClient storage) {
    this.vertx = vertx;
    this.policy = policy;
    this.storage = storage;
    this.config = config;
  }

  public void mount(Router router) {
    router.post("/service-accounts").handler(this::mint);
    router.get("/service-accounts").handler(this::list);
    router.delete("/service-accounts/:id").handler(this::revoke);
  }

  private void mint(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Principal caller = RequestContext.principal(ctx);
    String name = body.getValue("name") instanceof String s ? s : null;
    if (name == null || !NAME.matcher(name).matches()) {
      throw new ValidationFailure("body", "name", "String should match pattern '^[a-z0-9][a-z0-9_-]{0,62}$'", "string_pattern_mismatch");
    }
    int days = 90;
    if (body.getValue("expires_in_days") != null) {
      if (!(body.getValue("expires_in_days") instanceof Integer d) || d < 1 || d > 3650) {
        throw new ValidationFailure("body", "expires_in_days", "Input should be an integer between 1 and 3650", "value_error");
      }
      days = d;
    }
    boolean neverExpires = flag(body, "never_expires");
    boolean privilegedAllowed = flag(body, "allow_privileged_scopes");
    // it may act for users who consent (X-Acting-For): an admin decides that, as for an account that never expires
    boolean actsForUsers = flag(body, "acts_for_users");
    List<String> requested = requestedScopes(body);

    List<String> invalid = new ArrayList<>();
    List<String> privileged = new ArrayList<>();
    for (String raw : requested) {
      Scope s = Scope.parse(raw, config.adminScope());
      if (s.kind() == Scope.Kind.UNKNOWN) invalid.add(raw);
      else if (s.kind() == Scope.Kind.ADMIN || s.action().equals("write") || s.action().equals("delete")
          || s.resource().equals("service_accounts")) privileged.add(raw);
    }
    if (!invalid.isEmpty()) throw new DetailedFailure(400, "Invalid scope(s): " + String.join(", ", invalid));
    if (dev.agentos.http.support.GrantRules.namesPlatformScope(config, requested)) {
      throw new DetailedFailure(400, "The platform admin scope is granted only by the identity provider's token, never to a service account");
    }
    if (!privileged.isEmpty() && !privilegedAllowed) {
      throw new DetailedFailure(400, "Privileged scope(s) require allow_privileged_scopes=true: " + String.join(", ", privileged));
    }
    if (caller.kind() == Principal.Kind.ANONYMOUS) {
      throw new DetailedFailure(401, "JWT authentication is required to mint a service account.");
    }
    if (caller.kind() == Principal.Kind.REPRESENTED || !caller.actors().isEmpty()) {
      // an account minted through an actor would answer to nobody: not the actor's revocation, not the user's consent
      throw new DetailedFailure(403, "A service account is minted by its owner's own credential, not through an actor");
    }
    String token = ServiceAccountTokens.generate();
    OffsetDateTime requestedExpiry = neverExpires ? null : OffsetDateTime.now(ZoneOffset.UTC).plusDays(days);
    String parentId = caller.kind() == Principal.Kind.SERVICE_ACCOUNT
        ? caller.claims().getString(dev.agentos.authn.ServiceAccountVerifier.ACCOUNT_ID_CLAIM) : null;
    // The subset rule, with the caller's roles and denies applied: nobody hands out what they could not use.
    // An account never outlives what minted it (a JWT's exp, a service account's expiry), and never_expires is
    // for admins only. Admins are exempt from the bound: minting a 90-day CI token from a one-hour SSO session is
    // what an admin is for.
    GrantRules.isAdmin(policy, config, caller).compose(admin -> {
      if (neverExpires && !admin) {
        return Future.failedFuture(new DetailedFailure(403, "Only an admin can mint a service account that never expires"));
      }
      if (actsForUsers && !admin) {
        return Future.failedFuture(new DetailedFailure(403, "Only an admin can mint a service account that acts for users"));
      }
      OffsetDateTime expires = requestedExpiry;
      if (!admin && expires != null && caller.expiresAt() > 0) {
        OffsetDateTime ceiling = OffsetDateTime.ofInstant(java.time.Instant.ofEpochSecond(caller.expiresAt()), ZoneOffset.UTC);
        if (ceiling.isBefore(expires)) expires = ceiling;
      }
      OffsetDateTime granted = expires;
      return GrantRules.requireHolds(policy, config, caller, requested).map(v -> granted);
    }).onComplete(allowed -> {
      if (allowed.failed()) {
        ctx.fail(allowed.cause());
        return;
      }
      // the creator is recorded from the decision's seal, not from this request
      StorageRequest request = new StorageRequest.ServiceAccountsCreate(name, ServiceAccountTokens.hash(token),
          ServiceAccountTokens.displayPrefix(token), requested, allowed.result(), parentId, RequestContext.seal(ctx).orElse(null),
          actsForUsers);
      storage(ctx, request, account -> {
        // an account that may act for users is part of every policy verticle's directory: announce it as a role change
        if (actsForUsers) vertx.eventBus().publish(dev.agentos.contract.PolicyApi.ROLES_CHANGED, new JsonObject());
        JsonObject shown = present(account).put("token", token);
        JsonBodies.respond(ctx, 201, shown);
      });
    });
  }

  private void list(RoutingContext ctx) {
    boolean includeRevoked = !"false".equalsIgnoreCase(ctx.queryParams().get("include_revoked"));
    int limit = intParam(ctx, "limit", 20, 1, 100);
    int page = intParam(ctx, "page", 1, 1, Integer.MAX_VALUE);
    String sortBy = ctx.queryParams().get("sort_by");
    if (sortBy != null && !sortBy.equals("created_at")) throw new ValidationFailure("query", "sort_by", "Input should be 'created_at'", "enum");
    String order = ctx.queryParams().get("sort_order");
    if (order != null && !order.equals("asc") && !order.equals("desc")) {
      throw new ValidationFailure("query", "sort_order", "Input should be 'asc' or 'desc'", "enum");
    }
    storage(ctx, new StorageRequest.ServiceAccountsList(dev.agentos.http.support.RequestContext.decision(ctx).tenantId(),
        includeRevoked, page, limit, order == null ? "desc" : order), reply -> {
          JsonArray shown = new JsonArray();
          reply.getJsonArray("data").forEach(a -> shown.add(present((JsonObject) a)));
          JsonBodies.respond(ctx, 200, reply.put("data", shown));
        });
  }

  private void revoke(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    storage(ctx, new StorageRequest.ServiceAccountsRevoke(id, RequestContext.seal(ctx).orElse(null)), account -> {
      // every node's HTTP verticles drop the account, and every account it minted, from their caches
      io.vertx.core.json.JsonArray revoked = account.getJsonArray("revoked_ids", new io.vertx.core.json.JsonArray().add(account.getString("id")));
      for (Object revokedId : revoked) {
        vertx.eventBus().publish(StorageApi.SERVICE_ACCOUNT_REVOKED, new JsonObject().put("id", revokedId));
      }
      ctx.response().setStatusCode(204).end();
    });
  }

  /** agno's response shape; never a hash. */
  private static JsonObject present(JsonObject account) {
    JsonArray scopes = new JsonArray();
    for (Object raw : account.getJsonArray("scopes")) {
      String[] parts = ((String) raw).split(":", -1);
      scopes.add(new JsonObject().putNull("id").put("raw", raw).put("namespace", parts[0])
          .put("sub_namespace", parts.length == 3 ? parts[1] : null).put("permission", parts[parts.length - 1]).put("value", "allow"));
    }
    String principal = "sa:" + account.getString("name");
    return new JsonObject().put("id", account.getString("id")).put("name", account.getString("name")).put("principal", principal)
        .put("user_id", principal).put("token_prefix", account.getString("token_prefix")).put("scopes", scopes)
        .put("created_at", account.getString("created_at")).put("expires_at", account.getString("expires_at"))
        .put("last_used_at", account.getString("last_used_at")).put("revoked_at", account.getString("revoked_at"))
        .put("created_by", account.getString("created_by")).put("acts_for_users", account.getBoolean("acts_for_users", false));
  }

  private static List<String> requestedScopes(JsonObject body) {
    Object v = body.getValue("scopes");
    if (v == null) return DEFAULT_SCOPES;
    if (!(v instanceof JsonArray arr)) throw new ValidationFailure("body", "scopes", "Input should be a valid list", "list_type");
    if (arr.size() > 200) throw new ValidationFailure("body", "scopes", "List should have at most 200 items", "too_long");
    List<String> out = new ArrayList<>();
    for (Object item : arr) {
      if (item instanceof String s) {
        out.add(s);
      } else if (item instanceof JsonObject o && o.getValue("scope") instanceof String s) {
        Object effect = o.getValue("effect", "allow");
        if (!"allow".equals(effect)) throw new ValidationFailure("body", "scopes", "Input should be 'allow'", "literal_error");
        out.add(s);
      } else {
        throw new ValidationFailure("body", "scopes", "Input should be a scope string or {scope, effect}", "model_type");
      }
    }
    return List.copyOf(new java.util.LinkedHashSet<>(out));
  }

  private static boolean flag(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) return false;
    if (!(v instanceof Boolean b)) throw new ValidationFailure("body", field, "Input should be a valid boolean", "bool_type");
    return b;
  }

  private static int intParam(RoutingContext ctx, String name, int def, int min, int max) {
    String raw = ctx.queryParams().get(name);
    if (raw == null) return def;
    try {
      int v = Integer.parseInt(raw);
      if (v < min || v > max) throw new ValidationFailure("query", name, "Input should be between " + min + " and " + max, "value_error");
      return v;
    } catch (NumberFormatException e) {
      throw new ValidationFailure("query", name, "Input should be a valid integer", "int_parsing");
    }
  }



  private void storage(RoutingContext ctx, StorageRequest request, java.util.function.Consumer<JsonObject> onSuccess) {
    storage.request(request).onComplete(ar -> {
      if (ar.succeeded()) onSuccess.accept(ar.result());
      else ctx.fail(VerticleFailures.storage(ar.cause()));
    });
  }
}
