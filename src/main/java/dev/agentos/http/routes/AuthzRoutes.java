package dev.agentos.http.routes;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Decision;
import dev.agentos.contract.PolicyApi;
import dev.agentos.contract.Principal;
import dev.agentos.contract.StorageRequest;
import dev.agentos.http.support.DetailedFailure;
import dev.agentos.http.support.GrantRules;
import dev.agentos.http.support.JsonBodies;
import dev.agentos.http.support.PathCanonicalizer;
import dev.agentos.http.support.RequestContext;
import dev.agentos.http.support.ValidationFailure;
import dev.agentos.http.support.VerticleFailures;
import dev.agentos.policy.PolicyClient;
import dev.agentos.policy.RoleDirectory;
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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The managed-roles API (docs/authorization.md): roles, subjects' roles, a what-if check and the audit trail.
 * Every change goes through the policy verticle, which owns roles: it writes the change and its audit row in one
 * storage transaction, then its {@link PolicyApi#ROLES_CHANGED} notice makes every policy verticle reload. Nobody but an admin can create or assign a role holding a scope they lack.
 */
public final class AuthzRoutes {
  private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,62}$");

  private final Vertx vertx;
  private final AgentOsConfig.Authorization config;
  private final PolicyClient policy;
  private final StorageClient storage;

  private final AuthenticationHandler authentication;

  public AuthzRoutes(Vertx vertx, AgentOsConfig.Authorization config, PolicyClient policy, AuthenticationHandler authentication,
              StorageClient storage) {
    this.authentication = authentication;
    this.vertx = vertx;
    this.storage = storage;
    this.config = config;
    this.policy = policy;
    this.catalog = catalog();
  }

  public void mount(Router router) {
    router.get("/authz/roles").handler(this::listRoles);
    router.get("/authz/roles/:name").handler(this::getRole);
    router.put("/authz/roles/:name").handler(this::putRole);
    router.put("/authz/roles/:name/scopes").handler(ctx -> editScopes(ctx, false));
    router.patch("/authz/roles/:name/scopes").handler(ctx -> editScopes(ctx, true));
    router.delete("/authz/roles/:name").handler(this::deleteRole);
    router.get("/authz/subjects/:sub/roles").handler(this::getSubject);
    router.put("/authz/subjects/:sub/roles").handler(this::putSubject);
    router.post("/authz/check").handler(this::check);
    router.get("/authz/audit").handler(this::audit);
    router.get("/authz/scopes").handler(this::scopes);
    router.get("/authz/decisions").handler(this::decisions);
    router.get("/authz/consents").handler(this::listConsents);
    router.put("/authz/consents/:actor").handler(ctx -> consent(ctx, true));
    router.delete("/authz/consents/:actor").handler(ctx -> consent(ctx, false));
  }

  // ---- consents (docs/authorization.md, "Delegation": service accounts acting for users) -----------------

  private static final Pattern ACCOUNT_ACTOR = Pattern.compile("^sa:[a-z0-9][a-z0-9_-]{0,62}$");

  /** The user consenting: only with their own token (not a service account, not through an actor, not a what-if). */
  private static String consentingUser(RoutingContext ctx) {
    Principal caller = caller(ctx);
    boolean own = (caller.kind() == Principal.Kind.JWT || caller.kind() == Principal.Kind.UNVERIFIED) && caller.actors().isEmpty();
    if (!own || caller.userId().isEmpty()) throw new DetailedFailure(403, "Only a user consents, for themselves, with their own token");
    return caller.userId().get();
  }

  private void listConsents(RoutingContext ctx) {
    storage.request(new StorageRequest.ConsentsList(tenant(ctx), consentingUser(ctx))).onComplete(ar -> {
      if (ar.succeeded()) JsonBodies.respond(ctx, 200, ar.result());
      else fail(ctx, ar.cause());
    });
  }

  /**
   * {@code PUT /authz/consents/sa:<name>}: the caller lets that service account act for them (it must be one minted with
   * {@code acts_for_users}, active, in this tenant: 404 otherwise); {@code DELETE} withdraws it. Either way answers the
   * caller's consents; the change is in force on every node within the reload bound, as a role change is.
   */
  private void consent(RoutingContext ctx, boolean grant) {
    String actor = ctx.pathParam("actor");
    if (!ACCOUNT_ACTOR.matcher(actor).matches()) {
      throw new ValidationFailure("path", "actor", "A service account's principal: sa:<name>", "string_pattern_mismatch");
    }
    consentingUser(ctx);
    Future<Void> known = !grant ? Future.succeededFuture() : directory(ctx).compose(dir -> dir.actingAccount(tenant(ctx), actor)
        .isPresent() ? Future.succeededFuture() : Future.failedFuture(new DetailedFailure(404, "No service account '" + actor + "' acts for users here")));
    known.compose(v -> policy.writeRoles(PolicyApi.CONSENTS_PUT, new StorageRequest.ConsentsPut(actor, grant, seal(ctx)),
            config.policyTimeoutMs() + storage.timeoutMs()))
        .onComplete(ar -> respondAndNotify(ctx, ar, 200));
  }


  /**
   * The scope catalog, generated from the route map the policy decides with (its defaults and the configured
   * {@code scope_mappings}), so it can never list a scope no route requires nor miss one: each scope with the
   * routes that require it. The admin scope grants every route and is listed with none.
   */
  private void scopes(RoutingContext ctx) {
    JsonBodies.respondArray(ctx, 200, catalog);
  }

  /** Built once: the route map is fixed by the configuration. */
  private final JsonArray catalog;

  private JsonArray catalog() {
    JsonArray out = new JsonArray();
    dev.agentos.policy.RouteScopeMap.withDefaults(config.scopeMappings()).catalog(config.adminScope())
        .forEach((scope, routes) -> out.add(describe(scope).put("routes", new JsonArray(routes))));
    return out;
  }

  /** The roles of the tenant the request acts in (the global ones and that tenant's managed ones). */
  private Future<RoleDirectory> directory(RoutingContext ctx) {
    String tenant = tenant(ctx);
    return storage.request(new StorageRequest.RolesSnapshot(Optional.of(tenant))).map(snapshot ->
        RoleDirectory.fromConfig(config).withManaged(config, snapshot).inTenant(tenant));
  }

  private static String tenant(RoutingContext ctx) {
    return RequestContext.decision(ctx).tenantId();
  }

  private void listRoles(RoutingContext ctx) {
    directory(ctx).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      JsonArray data = new JsonArray();
      ar.result().roles().forEach(r -> data.add(r.toJson()));
      JsonBodies.respond(ctx, 200, new JsonObject().put("data", data));
    });
  }

  private void getRole(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    directory(ctx).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      Optional<RoleDirectory.Role> role = ar.result().role(name);
      if (role.isEmpty()) ctx.fail(new DetailedFailure(404, "Role not found"));
      else JsonBodies.respond(ctx, 200, role.get().toJson());
    });
  }

  private void putRole(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!NAME.matcher(name).matches()) {
      throw new ValidationFailure("path", "name", "String should match pattern '^[a-z0-9][a-z0-9_-]{0,62}$'", "string_pattern_mismatch");
    }
    JsonObject body = JsonBodies.object(ctx);
    List<String> scopes = scopeList(body, "scopes");
    List<String> deny = body.getValue("deny") == null ? List.of() : scopeList(body, "deny");
    Object description = body.getValue("description");
    if (description != null && !(description instanceof String)) {
      throw new ValidationFailure("body", "description", "Input should be a valid string", "string_type");
    }
    immutable(name);
    defaultRoleStaysNonAdmin(name, scopes);
    directory(ctx).compose(dir -> {
      // weakening a role's deny is lifting it
      boolean lifts = dir.role(name).map(old -> !deny.containsAll(old.deny())).orElse(false);
      // changing a role needs what it grants, before and after: rewriting an admin role to less would demote
      // its holders, rewriting a small one to more would promote them
      List<String> before = dir.role(name).map(RoleDirectory.Role::scopes).orElse(List.of());
      return requireAdminIf(ctx, lifts).compose(v -> requireHolds(ctx, union(before, scopes)));
    }).compose(v -> writeRoles(PolicyApi.ROLES_PUT,
            new StorageRequest.RolesPut(name, scopes, deny, (String) description, seal(ctx))))
        .onComplete(ar -> respondAndNotify(ctx, ar, 200));
  }

  /** A scope entry of agno 3.1's role-scope routes: a scope and its effect. */
  private record ScopeEntry(String scope, boolean deny) {}

  /** {@code ["agents:read", {"scope": "agents:x:run", "effect": "deny"}]}: a string is an allow. */
  private List<ScopeEntry> scopeEntries(JsonObject body, String field, boolean effects) {
    Object v = body.getValue(field);
    if (v == null && effects) throw new ValidationFailure("body", field, "Field required", "missing");
    if (v == null) return List.of();
    if (!(v instanceof JsonArray arr)) throw new ValidationFailure("body", field, "Input should be a valid list", "list_type");
    if (arr.size() > 500) throw new ValidationFailure("body", field, "List should have at most 500 items", "too_long");
    List<ScopeEntry> out = new ArrayList<>();
    for (Object o : arr) {
      if (o instanceof String s) {
        out.add(new ScopeEntry(s, false));
      } else if (o instanceof JsonObject e && e.getValue("scope") instanceof String s) {
        Object effect = e.getValue("effect", "allow");
        if (!"allow".equals(effect) && !"deny".equals(effect)) {
          throw new ValidationFailure("body", field, "effect should be 'allow' or 'deny'", "literal_error");
        }
        out.add(new ScopeEntry(s, "deny".equals(effect)));
      } else {
        throw new ValidationFailure("body", field, "Input should be a scope or {scope, effect}", "model_type");
      }
    }
    // validated as a role's scope lists are (parseable, never the platform admin scope)
    scopeList(new JsonObject().put(field, new JsonArray(out.stream().filter(x -> !x.deny()).map(ScopeEntry::scope).toList())), field);
    scopeList(new JsonObject().put("deny", new JsonArray(out.stream().filter(ScopeEntry::deny).map(ScopeEntry::scope).toList())), "deny");
    return out;
  }

  /**
   * {@code PUT} (replace) and {@code PATCH} (upsert and remove) of a role's scopes with effects, agno 3.1's routes over
   * the same role: the same rules as {@code PUT /authz/roles/{name}} (what it grants before and after must be held;
   * weakening a deny needs an admin), one audited write. A scope both allowed and denied is denied.
   */
  private void editScopes(RoutingContext ctx, boolean patch) {
    String name = ctx.pathParam("name");
    JsonObject body = JsonBodies.object(ctx);
    List<ScopeEntry> entries = scopeEntries(body, patch ? "upsert" : "scopes", !patch);
    List<String> removed = patch ? scopeListOrEmpty(body, "remove") : List.of();
    immutable(name);
    directory(ctx).compose(dir -> {
      Optional<RoleDirectory.Role> role = dir.role(name);
      if (role.isEmpty()) return Future.failedFuture(new DetailedFailure(404, "Role not found"));
      LinkedHashSet<String> allow = new LinkedHashSet<>(patch ? role.get().scopes() : List.of());
      LinkedHashSet<String> deny = new LinkedHashSet<>(patch ? role.get().deny() : List.of());
      allow.removeAll(removed);
      deny.removeAll(removed);
      for (ScopeEntry e : entries) {
        (e.deny() ? allow : deny).remove(e.scope());
        (e.deny() ? deny : allow).add(e.scope());
      }
      allow.removeAll(deny);
      List<String> scopes = List.copyOf(allow);
      defaultRoleStaysNonAdmin(name, scopes);
      List<String> denies = List.copyOf(deny);
      boolean lifts = !denies.containsAll(role.get().deny());
      return requireAdminIf(ctx, lifts).compose(v -> requireHolds(ctx, union(role.get().scopes(), scopes)))
          .compose(v -> writeRoles(PolicyApi.ROLES_PUT, new StorageRequest.RolesPut(name, scopes, denies, role.get().description(), seal(ctx))))
          .map(written -> patch ? new RoleDirectory.Role(name, scopes, denies, RoleDirectory.Source.MANAGED, role.get().description()).toJson()
              : new JsonObject().put("entries", entries(scopes, denies)));
    }).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
      } else if (patch) {
        JsonBodies.respond(ctx, 200, ar.result());
      } else {
        JsonBodies.respondArray(ctx, 200, ar.result().getJsonArray("entries"));
      }
    });
  }

  private List<String> scopeListOrEmpty(JsonObject body, String field) {
    return body.getValue(field) == null ? List.of() : scopeList(body, field);
  }

  /** agno's {@code RoleScopeSchema}: {raw, namespace, permission, value}. */
  private static JsonArray entries(List<String> scopes, List<String> denies) {
    JsonArray out = new JsonArray();
    for (String s : scopes) out.add(entry(s, "allow"));
    for (String s : denies) out.add(entry(s, "deny"));
    return out;
  }

  private static JsonObject entry(String scope, String value) {
    return describe(scope).put("value", value);
  }

  /** agno's parts of a scope: {raw, namespace, permission} (the first and the last segment). */
  private static JsonObject describe(String scope) {
    int first = scope.indexOf(':');
    int last = scope.lastIndexOf(':');
    return new JsonObject().put("raw", scope).put("namespace", first < 0 ? scope : scope.substring(0, first))
        .put("permission", last < 0 ? null : scope.substring(last + 1));
  }

  /** A managed role goes; a configured role's run-time edit goes, and the configuration's definition is back. */
  private void deleteRole(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    immutable(name);
    directory(ctx).compose(dir -> {
      if (dir.role(name).map(r -> r.source() == RoleDirectory.Source.CONFIG).orElse(false)) {
        return Future.failedFuture(new DetailedFailure(409, "Role '" + name + "' is defined in the configuration and has no "
            + "change here to undo; remove it from authorization.roles to delete it"));
      }
      return Future.succeededFuture(dir);
    }).compose(dir -> requireAdminIf(ctx, dir.role(name).map(r -> !r.deny().isEmpty()).orElse(false))
            // undoing a configured role's edit hands its holders the configuration's scopes again: both must be held
            .compose(v -> requireHolds(ctx, union(dir.role(name).map(RoleDirectory.Role::scopes).orElse(List.of()),
                config.roles().containsKey(name) ? config.roles().get(name).scopes() : List.of()))))
        // undoing a configured role's edit keeps who holds it; deleting a managed role unassigns it
        .compose(v -> writeRoles(PolicyApi.ROLES_DELETE, new StorageRequest.RolesDelete(name, seal(ctx), config.roles().containsKey(name))))
        .onComplete(ar -> respondAndNotify(ctx, ar, 204));
  }

  private void getSubject(RoutingContext ctx) {
    storage.request(new StorageRequest.SubjectRolesGet(tenant(ctx), ctx.pathParam("sub"))).onComplete(ar -> {
      if (ar.succeeded()) JsonBodies.respond(ctx, 200, ar.result());
      else fail(ctx, ar.cause());
    });
  }

  private void putSubject(RoutingContext ctx) {
    String subject = ctx.pathParam("sub");
    JsonObject body = JsonBodies.object(ctx);
    Object value = body.getValue("roles");
    if (!(value instanceof JsonArray arr)) throw new ValidationFailure("body", "roles", "Input should be a valid list", "list_type");
    List<String> roles = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) throw new ValidationFailure("body", "roles", "Input should be a list of strings", "string_type");
      roles.add(s);
    }
    List<String> unique = List.copyOf(new LinkedHashSet<>(roles));
    directory(ctx).compose(dir -> {
      List<String> unknown = unique.stream().filter(r -> dir.role(r).isEmpty()).toList();
      if (!unknown.isEmpty()) {
        return Future.failedFuture(new ValidationFailure("body", "roles", "Unknown role(s): " + String.join(", ", unknown), "value_error"));
      }
      List<String> granted = new ArrayList<>();
      for (String r : unique) granted.addAll(dir.role(r).get().scopes());
      return storage.request(new StorageRequest.SubjectRolesGet(tenant(ctx), subject)).compose(current -> {
        List<String> removed = current.getJsonArray("roles").stream().map(String.class::cast).filter(r -> !unique.contains(r)).toList();
        // unassigning a role that carries a deny is lifting that deny
        boolean lifts = removed.stream().anyMatch(r -> dir.role(r).map(role -> !role.deny().isEmpty()).orElse(false));
        // and unassigning one needs what it grants, as assigning does (or anyone with authz:write could demote an admin)
        List<String> taken = new ArrayList<>();
        for (String r : removed) dir.role(r).ifPresent(role -> taken.addAll(role.scopes()));
        return requireAdminIf(ctx, lifts).compose(v -> requireHolds(ctx, union(granted, taken)));
      });
    }).compose(v -> writeRoles(PolicyApi.ROLES_ASSIGN, new StorageRequest.SubjectRolesPut(subject, List.copyOf(unique),
            seal(ctx))))
        .onComplete(ar -> respondAndNotify(ctx, ar, 200));
  }

  /** What-if: the decision for a principal (or a bearer token) on a method and path, without performing it. */
  private void check(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    if (!(body.getValue("method") instanceof String method) || method.isBlank()) {
      throw new ValidationFailure("body", "method", "Field required", "missing");
    }
    if (!(body.getValue("path") instanceof String rawPath)) throw new ValidationFailure("body", "path", "Field required", "missing");
    String path = PathCanonicalizer.canonicalize(rawPath)
        .orElseThrow(() -> new ValidationFailure("body", "path", "Not a valid request path", "value_error"));
    Future<Decision> decision;
    if (body.getValue("token") instanceof String token) {
      // tokens are verified by authn only, exactly as on the request path; the policy verticle gets a principal
      String upper = method.toUpperCase(java.util.Locale.ROOT);
      decision = authentication.verifyToken(token).transform(verified -> verified.succeeded()
          ? policy.authorize(verified.result(), upper, path)
          : Future.succeededFuture(tokenNotAccepted(verified.cause())));
    } else if (body.getValue("principal") instanceof JsonObject p) {
      decision = policy.authorize(principalOf(p, tenant(ctx)), method.toUpperCase(java.util.Locale.ROOT), path);
    } else {
      throw new ValidationFailure("body", "principal", "Give a principal or a token", "missing");
    }
    decision.onComplete(ar -> {
      if (ar.succeeded()) JsonBodies.respond(ctx, 200, ar.result().toJson());
      else ctx.fail(new DetailedFailure(503, "Authorization service unavailable"));
    });
  }

  /** The what-if answer for a token that does not verify: a deny that says why (it is no request failure). */
  private static Decision tokenNotAccepted(Throwable cause) {
    String why = cause instanceof dev.agentos.authn.AuthenticationException a ? a.detail() : "token not accepted";
    return new Decision(false, List.of(), Optional.empty(), Optional.empty(), false, "", List.of("token not accepted: " + why), why);
  }

  /** A what-if principal is one of the tenant the asking request acts in: nobody asks about another tenant's users. */
  private Principal principalOf(JsonObject p, String tenant) {
    Object sub = p.getValue("user_id", p.getValue("sub"));
    if (sub != null && !(sub instanceof String)) throw new ValidationFailure("body", "principal", "user_id must be a string", "string_type");
    List<Principal.Actor> actors = new ArrayList<>();
    Object chain = p.getValue("actors");
    if (chain != null && !(chain instanceof JsonArray)) throw new ValidationFailure("body", "actors", "Input should be a valid list", "list_type");
    if (chain != null) {
      for (Object o : (JsonArray) chain) {
        try {
          actors.add(Principal.Actor.fromJson(o instanceof JsonObject a ? a : new JsonObject()));
        } catch (IllegalArgumentException e) {
          throw new ValidationFailure("body", "actors", "An actor is {sub, client_id?, iss?}", "model_type");
        }
      }
    }
    return new Principal(Principal.Kind.JWT, Optional.ofNullable((String) sub), strings(p, "scopes"), strings(p, "roles"),
        Optional.empty(), new JsonObject(), 0, config.tenants() ? Optional.of(tenant) : Optional.empty(), Optional.empty(), actors);
  }

  private static List<String> strings(JsonObject p, String field) {
    Object v = p.getValue(field);
    if (v == null) return List.of();
    if (!(v instanceof JsonArray arr)) throw new ValidationFailure("body", field, "Input should be a valid list", "list_type");
    List<String> out = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) throw new ValidationFailure("body", field, "Input should be a list of strings", "string_type");
      out.add(s);
    }
    return out;
  }

  /** The tenant's decision records (docs/authorization.md, "Decision records"). */
  private void decisions(RoutingContext ctx) {
    int page = intParam(ctx, "page", 1, Integer.MAX_VALUE);
    int limit = intParam(ctx, "limit", 50, 100);
    String result = ctx.queryParams().get("result");
    if (result != null && !result.equals("allow") && !result.equals("deny")) {
      throw new ValidationFailure("query", "result", "Input should be 'allow' or 'deny'", "literal_error");
    }
    storage.request(new StorageRequest.DecisionsList(tenant(ctx), emptyToNull(ctx.queryParams().get("subject")), result,
        emptyToNull(ctx.queryParams().get("path")), time(ctx, "from"), time(ctx, "to"), page, limit)).onComplete(ar -> {
          if (ar.succeeded()) JsonBodies.respond(ctx, 200, ar.result());
          else fail(ctx, ar.cause());
        });
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static java.time.OffsetDateTime time(RoutingContext ctx, String name) {
    String raw = ctx.queryParams().get(name);
    if (raw == null || raw.isEmpty()) return null;
    try {
      return java.time.OffsetDateTime.parse(raw);
    } catch (java.time.format.DateTimeParseException e) {
      throw new ValidationFailure("query", name, "Input should be a valid datetime", "datetime_parsing");
    }
  }

  private void audit(RoutingContext ctx) {
    int page = intParam(ctx, "page", 1, Integer.MAX_VALUE);
    int limit = intParam(ctx, "limit", 50, 500);
    storage.request(new StorageRequest.AuthzAudit(tenant(ctx), page, limit)).onComplete(ar -> {
      if (ar.succeeded()) JsonBodies.respond(ctx, 200, ar.result());
      else fail(ctx, ar.cause());
    });
  }

  // ---- rules ------------------------------------------------------------------------------------------

  /**
   * Built-in roles never change. A configured role is a seed (docs/authorization.md, "Roles from the configuration are
   * seeds"): a change here is kept in the tenant, and the configuration never overwrites it.
   */
  private void immutable(String name) {
    if (RoleDirectory.BUILT_IN.contains(name)) {
      throw new DetailedFailure(409, "Role '" + name + "' is built in and cannot be changed");
    }
  }

  /** Every new user holds the default role: it never grants the admin scope, as the configuration's check says. */
  private void defaultRoleStaysNonAdmin(String name, List<String> scopes) {
    if (config.defaultRole().map(name::equals).orElse(false) && scopes.contains(config.adminScope())) {
      throw new ValidationFailure("body", "scopes", "The default role (authorization.default_role) cannot grant the admin scope",
          "value_error");
    }
  }

  private static List<String> union(List<String> a, List<String> b) {
    LinkedHashSet<String> all = new LinkedHashSet<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  private Future<Void> requireHolds(RoutingContext ctx, List<String> scopes) {
    return GrantRules.requireHolds(policy, config, caller(ctx), scopes);
  }

  private Future<Void> requireAdminIf(RoutingContext ctx, boolean liftsDeny) {
    return liftsDeny ? GrantRules.requireAdmin(policy, config, caller(ctx)) : Future.succeededFuture();
  }

  private static Principal caller(RoutingContext ctx) {
    return RequestContext.principal(ctx);
  }

  private List<String> scopeList(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (!(v instanceof JsonArray arr)) throw new ValidationFailure("body", field, "Input should be a valid list", "list_type");
    if (arr.size() > 500) throw new ValidationFailure("body", field, "List should have at most 500 items", "too_long");
    List<String> out = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) throw new ValidationFailure("body", field, "Input should be a list of strings", "string_type");
      if (Scope.parse(s, config.adminScope()).kind() == Scope.Kind.UNKNOWN) bad.add(s);
      out.add(s);
    }
    if (!bad.isEmpty()) throw new ValidationFailure("body", field, "Invalid scope(s): " + String.join(", ", bad), "value_error");
    if (!field.equals("deny") && !field.equals("remove") && GrantRules.namesPlatformScope(config, out)) {
      throw new ValidationFailure("body", field, "The platform admin scope is granted only by the identity provider's token, never by a role",
          "value_error");
    }
    return List.copyOf(new LinkedHashSet<>(out));
  }

  /** The seal of the decision that allowed this write: the storage verticle records its actor. */
  private static JsonObject seal(RoutingContext ctx) {
    return RequestContext.seal(ctx).orElse(null);
  }

  // ---- plumbing ---------------------------------------------------------------------------------------

  /** Through the policy verticle, which owns roles (it writes, then announces the change to every node). */
  private Future<JsonObject> writeRoles(String action, StorageRequest write) {
    return policy.writeRoles(action, write, config.policyTimeoutMs() + storage.timeoutMs());
  }

  private void respondAndNotify(RoutingContext ctx, io.vertx.core.AsyncResult<JsonObject> ar, int status) {
    if (ar.failed()) {
      fail(ctx, ar.cause());
      return;
    }
    // the policy verticle announced the change after the write committed
    if (status == 204) ctx.response().setStatusCode(204).end();
    else JsonBodies.respond(ctx, status, ar.result());
  }

  private static void fail(RoutingContext ctx, Throwable cause) {
    ctx.fail(VerticleFailures.storage(cause, "Role not found"));
  }


  /** A query integer between 1 and {@code max} ({@code def} when absent); else a 422 in agno's shape. */
  static int intParam(RoutingContext ctx, String name, int def, int max) {
    String raw = ctx.queryParams().get(name);
    if (raw == null) return def;
    try {
      int v = Integer.parseInt(raw);
      if (v < 1 || v > max) throw new ValidationFailure("query", name, "Input should be between 1 and " + max, "value_error");
      return v;
    } catch (NumberFormatException e) {
      throw new ValidationFailure("query", name, "Input should be a valid integer", "int_parsing");
    }
  }


}
