package dev.agentos.policy;

import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The decision function: principal + method + canonical path → {@link Decision} (docs/authorization.md).
 * Pure and immutable; the policy verticle owns one per instance.
 */
public final class PolicyEngine {
  private static final Pattern RESOURCE_CONTEXT = Pattern.compile("^/(?:a2a/)?(agents|teams|workflows)(?:/([^/]+))?(?:/.*)?$");
  private static final Set<String> FAMILIES = Set.of("agents", "teams", "workflows");
  /**
   * agno's route-level {@code require_resource_access} (docs/authorization.md), checked after the map: reading runs
   * needs run access too, and resume/fork (unmapped in the map) need run access.
   */
  private static final List<RouteCheck> ROUTE_CHECKS = List.of(
      new RouteCheck("GET", Pattern.compile("^/(agents|teams|workflows)/([^/]+)$"), "read"),
      new RouteCheck("GET", Pattern.compile("^/(agents|teams|workflows)/([^/]+)/runs(?:/.*)?$"), "run"),
      new RouteCheck("POST", Pattern.compile("^/(agents|teams|workflows)/([^/]+)/runs(?:/[^/]+/(?:cancel|continue|resume))?$"), "run"),
      new RouteCheck("POST", Pattern.compile("^/(agents|teams)/([^/]+)/sessions/[^/]+/fork$"), "run"));

  private record RouteCheck(String method, Pattern path, String action) {}

  /** The route-level check a request needs: {@code action} access to {@code family:id}. */
  record RouteAccess(String family, String id, String action) {}

  /**
   * Which of {@link #ROUTE_CHECKS} a request meets, found by splitting the path instead of running the expressions
   * (they are the specification: {@link #routeAccessByPattern}, and a test holds the two equal). A path with a line
   * terminator, which {@code $} treats specially and no routed request has, goes to the expressions.
   */
  static RouteAccess routeAccess(String method, String path) {
    boolean get = method.equals("GET");
    if (!get && !method.equals("POST")) return null;
    if (hasLineTerminator(path)) return routeAccessByPattern(method, path);
    if (path.length() < 2 || path.charAt(0) != '/') return null;
    int familyEnd = path.indexOf('/', 1);
    if (familyEnd < 0) return null;
    String family = path.substring(1, familyEnd);
    if (!FAMILIES.contains(family)) return null;
    int idEnd = path.indexOf('/', familyEnd + 1);
    String id = idEnd < 0 ? path.substring(familyEnd + 1) : path.substring(familyEnd + 1, idEnd);
    if (id.isEmpty()) return null;
    String rest = idEnd < 0 ? "" : path.substring(idEnd);
    if (get) {
      if (rest.isEmpty()) return new RouteAccess(family, id, "read");
      return rest.equals("/runs") || rest.startsWith("/runs/") ? new RouteAccess(family, id, "run") : null;
    }
    if (rest.equals("/runs")) return new RouteAccess(family, id, "run");
    if (rest.startsWith("/runs/")) {
      String tail = rest.substring("/runs/".length());
      int slash = tail.indexOf('/');
      if (slash <= 0 || tail.indexOf('/', slash + 1) >= 0) return null;
      String operation = tail.substring(slash + 1);
      return operation.equals("cancel") || operation.equals("continue") || operation.equals("resume")
          ? new RouteAccess(family, id, "run") : null;
    }
    if (!family.equals("workflows") && rest.startsWith("/sessions/") && rest.endsWith("/fork")
        && rest.length() > "/sessions//fork".length()) {
      String session = rest.substring("/sessions/".length(), rest.length() - "/fork".length());
      return session.indexOf('/') < 0 ? new RouteAccess(family, id, "run") : null;
    }
    return null;
  }

  /** A character {@code $} and {@code .} treat as a line end: such a path goes to the expressions, which define it. */
  private static boolean hasLineTerminator(String path) {
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') return true;
    }
    return false;
  }

  /** {@link #ROUTE_CHECKS} as written: the first that matches. */
  static RouteAccess routeAccessByPattern(String method, String path) {
    for (RouteCheck check : ROUTE_CHECKS) {
      if (!check.method.equals(method)) continue;
      Matcher m = check.path.matcher(path);
      if (m.matches()) return new RouteAccess(m.group(1), m.group(2), check.action);
    }
    return null;
  }

  private final AgentOsConfig.Authorization config;
  private final RouteScopeMap routes;
  private final Set<String> vocabulary;

  public PolicyEngine(AgentOsConfig.Authorization config) {
    this.config = config;
    this.routes = RouteScopeMap.withDefaults(config.scopeMappings());
    Set<String> vocab = new HashSet<>();
    for (RouteScopeMap.Entry e : routes.entries()) vocab.addAll(e.required());
    this.vocabulary = Set.copyOf(vocab);
    this.roles = RoleDirectory.fromConfig(config);
  }

  public RouteScopeMap routes() {
    return routes;
  }

  private volatile RoleDirectory roles;

  /** Swaps in a new role directory (after a change or a periodic reload). */
  public void useRoles(RoleDirectory directory) {
    this.roles = directory;
  }

  public RoleDirectory roles() {
    return roles;
  }

  /**
   * The decision for a request, after role expansion; a role's deny beats every allow, the admin scope's
   * included (docs/authorization.md).
   */
  public Decision authorize(Principal principal, String method, String path) {
    return authorize(principal, method, path, Optional.empty());
  }

  /**
   * The same, for a request that may name the tenant it acts in ({@code X-Tenant-Id}): the decision carries the
   * tenant (docs/isolation.md, "Tenants"); naming another tenant than the caller's own needs the platform admin scope.
   */
  public Decision authorize(Principal principal, String method, String path, Optional<String> requestedTenant) {
    return evaluate(principal, method, path, requestedTenant).decision();
  }

  /**
   * A decision with what a decision record keeps of it: the route-map key it was decided by ({@code "GET /sessions/*"},
   * null when none matched) and what the principal held (its honoured scopes and its roles'), found once, while deciding.
   */
  public record Evaluation(Decision decision, String route, List<String> held) {}

  public Evaluation evaluate(Principal principal, String method, String path, Optional<String> requestedTenant) {
    Decision off = killSwitch(principal);
    if (off != null) return new Evaluation(off, null, List.of());
    if (!principal.actors().isEmpty()) return delegated(principal, method, path, requestedTenant);
    TenantChoice tenant = tenantOf(principal, requestedTenant);
    if (tenant.refusal() != null) {
      return new Evaluation(new Decision(false, List.of(), Optional.empty(), Optional.empty(), false, newDecisionId(),
          List.of(tenant.refusal()), tenant.refusal()), null, expand(principal).scopes());
    }
    RoleDirectory.Expansion expansion = expand(principal);
    Target target = Target.of(path);
    Optional<RouteScopeMap.Entry> entry = routes.lookup(method.equals("HEAD") ? "GET" : method, path);
    Decision d = listingAlwaysFiltered(decide(principal, expansion, entry, method, path, target), principal, expansion, method,
        path, target);
    if (d.allowed() && !expansion.deny().isEmpty()) {
      d = applyDenies(d, parseAll(expansion.deny()), method.equals("HEAD") ? "GET" : method, path, target);
    }
    return new Evaluation(d.inTenant(tenant.tenant()), entry.map(e -> e.method() + " " + e.pattern()).orElse(null),
        expansion.scopes());
  }

  /**
   * The principal's own scopes as far as they are honoured: with {@code trust_token_scopes: false} (roles only) a
   * token's scopes claim grants nothing, the admin scope included; its roles claim and managed assignments still do. A
   * service account's scopes are the service's own record, not a token's claim, and always count.
   */
  private List<String> honouredScopes(Principal p) {
    boolean token = p.kind() == Principal.Kind.JWT || p.kind() == Principal.Kind.UNVERIFIED;
    return config.trustTokenScopes() || !token ? p.scopes() : List.of();
  }

  /** The tenant a request acts in, or why it may not act at all ({@code refusal}). */
  record TenantChoice(String tenant, String refusal) {}

  TenantChoice tenantOf(Principal principal, Optional<String> requested) {
    if (requested.isPresent() && !dev.agentos.contract.Owner.validTenantId(requested.get())) {
      return new TenantChoice(null, "Invalid tenant id in X-Tenant-Id");
    }
    if (!config.tenants()) {
      return requested.isPresent()
          ? new TenantChoice(null, "X-Tenant-Id is accepted only with tenants on (authorization.tenant_id_claim)")
          : new TenantChoice(dev.agentos.contract.Owner.IMPLICIT_TENANT, null);
    }
    if (principal.kind() == Principal.Kind.SECURITY_KEY || principal.kind() == Principal.Kind.ANONYMOUS) {
      // the unscoped root of a deployment: any tenant it names, else the implicit one
      return new TenantChoice(requested.orElse(dev.agentos.contract.Owner.IMPLICIT_TENANT), null);
    }
    if (principal.tenantId().isEmpty()) {
      return new TenantChoice(null, "Tenant isolation requires a tenant claim ('" + config.tenantIdClaim().get() + "')");
    }
    if (principal.tenantId().get().isEmpty()) {
      // a service account minted before tenants were on: the implicit tenant is the security key's alone
      return new TenantChoice(null, "This service account belongs to no tenant; mint one in a tenant");
    }
    String home = principal.tenantId().get();
    if (requested.isPresent() && !requested.get().equals(home)) {
      if (!platformAdmin(principal)) return new TenantChoice(null, "Acting in another tenant requires the platform admin scope");
      return new TenantChoice(requested.get(), null);
    }
    return new TenantChoice(home, null);
  }

  /**
   * Whether the principal is a platform admin: only a verified token that itself carries the configured scope
   * ({@code authorization.platform_admin_scope}), never through a role or a service account, which a tenant's own
   * admin can create.
   */
  boolean platformAdmin(Principal principal) {
    return config.platformAdminScope().isPresent() && config.trustTokenScopes() && principal.kind() == Principal.Kind.JWT
        && principal.scopes().contains(config.platformAdminScope().get());
  }

  /** The principal's grants in its own tenant; a platform admin is an admin in every tenant. */
  private RoleDirectory.Expansion expand(Principal principal) {
    RoleDirectory.Expansion e = roles.expand(principal, honouredScopes(principal));
    if (!platformAdmin(principal)) return e;
    List<String> scopes = new ArrayList<>(e.scopes());
    scopes.add(config.adminScope());
    return new RoleDirectory.Expansion(List.copyOf(scopes), e.deny(), e.roles());
  }

  /**
   * The family and id a path is about ({@code /agents/a1/runs}: agents, a1), found once per decision by splitting
   * the path; {@link #RESOURCE_CONTEXT} is the specification ({@link #byPattern}, held equal by a test), and a path
   * with a line terminator (which {@code .} and {@code $} treat specially; no routed request has one) goes to it.
   */
  record Target(boolean matches, String family, String resourceId) {
    private static final Target NONE = new Target(false, null, null);

    static Target of(String path) {
      if (hasLineTerminator(path)) return byPattern(path);
      int start = path.startsWith("/a2a/") ? 4 : 0;
      if (path.length() <= start + 1 || path.charAt(start) != '/') return NONE;
      int familyEnd = path.indexOf('/', start + 1);
      String family = familyEnd < 0 ? path.substring(start + 1) : path.substring(start + 1, familyEnd);
      if (!FAMILIES.contains(family)) return NONE;
      if (familyEnd < 0) return new Target(true, family, null);
      int idEnd = path.indexOf('/', familyEnd + 1);
      String id = idEnd < 0 ? path.substring(familyEnd + 1) : path.substring(familyEnd + 1, idEnd);
      return new Target(true, family, id.isEmpty() ? null : id);
    }

    static Target byPattern(String path) {
      Matcher m = RESOURCE_CONTEXT.matcher(path);
      return m.matches() ? new Target(true, m.group(1), m.group(2)) : NONE;
    }
  }

  private Decision decide(Principal principal, RoleDirectory.Expansion expansion, Optional<RouteScopeMap.Entry> entry,
                          String method, String path, Target target) {
    String id = newDecisionId();
    ScopeIndex userScopes = index(expansion.scopes());
    boolean admin = userScopes.hasAdmin();
    Optional<String> scopedUser = scopedUserId(principal, admin);
    String lookupMethod = method.equals("HEAD") ? "GET" : method;
    List<String> required = entry.map(RouteScopeMap.Entry::required).orElse(List.of());

    if (principal.kind() == Principal.Kind.SECURITY_KEY || principal.kind() == Principal.Kind.ANONYMOUS) {
      return allow(required, Optional.empty(), scopedUser, true, id, List.of(principal.kind() == Principal.Kind.ANONYMOUS
          ? "no authentication configured: open instance" : "security key: unscoped root"));
    }
    boolean enforced = config.enabled() || principal.userId().map(u -> u.startsWith("sa:")).orElse(false);
    if (!enforced) {
      return allow(required, Optional.empty(), scopedUser, admin, id, List.of("authorization disabled: authentication only"));
    }
    String family = target.family();
    String resourceId = target.resourceId();
    // On a family's collection (GET /agents) every allow says which ids the caller may see ("*" = all).
    boolean listing = lookupMethod.equals("GET") && family != null && resourceId == null && !path.startsWith("/a2a/");
    if (admin) {
      return allow(required, listing ? Optional.of(Set.of("*")) : Optional.empty(), scopedUser, true, id,
          List.of("granted by admin scope " + config.adminScope()));
    }
    if (entry.isEmpty()) {
      return routeLevel(lookupMethod, path, userScopes, required, scopedUser, id,
          List.of("route not in the scope map: any authenticated caller"));
    }
    if (required.isEmpty()) {
      return routeLevel(lookupMethod, path, userScopes, required, scopedUser, id,
          List.of("route mapped to []: any authenticated caller"));
    }

    List<String> reasons = new ArrayList<>();
    boolean allOk = grantsAll(required, userScopes, family, resourceId, reasons);
    Scope first = parsedRequired(required.get(0));
    if (allOk && listing && first.resource().equals(family)) {
      return allow(required, Optional.of(userScopes.accessibleIds(family, first.action())), scopedUser, false, id, reasons);
    }
    if (allOk) return routeLevel(lookupMethod, path, userScopes, required, scopedUser, id, reasons);
    if (listing && first.resource().equals(family)) {
      Optional<Decision> filtered = listingFallback(required, userScopes, family, first.action(), scopedUser, id);
      if (filtered.isPresent()) return filtered.get();
    }
    return new Decision(false, required, Optional.empty(), scopedUser, false, id, reasons,
        "Insufficient permissions. Required scope(s): " + String.join(", ", required));
  }

  /**
   * Whether every required scope is granted, each rewritten per resource on a family's path; one reason per
   * requirement ("X granted by Y" or "missing X") is added either way.
   */
  private boolean grantsAll(List<String> required, ScopeIndex userScopes, String family, String resourceId, List<String> reasons) {
    boolean allOk = true;
    for (String req : required) {
      Scope r = perResource(parsedRequired(req), family, resourceId);
      Optional<Scope> grant = userScopes.grant(r, resourceId);
      if (grant.isPresent()) {
        reasons.add(r.raw() + " granted by " + grant.get().raw());
      } else {
        reasons.add("missing " + r.raw());
        allOk = false;
      }
    }
    return allOk;
  }

  /** GET on a family's collection lists what the caller can see, even without the family-wide scope (403 when nothing). */
  private static Optional<Decision> listingFallback(List<String> required, ScopeIndex userScopes, String family, String action,
                                                    Optional<String> scopedUser, String id) {
    Set<String> ids = userScopes.accessibleIds(family, action);
    if (ids.isEmpty()) return Optional.empty();
    return Optional.of(allow(required, Optional.of(ids), scopedUser, false, id,
        List.of("listing filtered to " + (ids.contains("*") ? "all" : ids.size() + " " + family))));
  }

  private Decision routeLevel(String method, String path, ScopeIndex userScopes, List<String> required,
                              Optional<String> scopedUser, String id, List<String> reasons) {
    RouteAccess check = routeAccess(method, path);
    if (check != null) {
      String family = check.family();
      String resourceId = check.id();
      Set<String> ids = userScopes.accessibleIds(family, check.action());
      List<String> all = new ArrayList<>(reasons);
      if (ids.contains("*") || ids.contains(resourceId)) {
        all.add(check.action() + " access to " + family + ":" + resourceId);
        return allow(required, Optional.empty(), scopedUser, false, id, all);
      }
      all.add("missing " + check.action() + " access to " + family + ":" + resourceId);
      return new Decision(false, required, Optional.empty(), scopedUser, false, id, all,
          "Access denied to " + check.action() + " this " + family.substring(0, family.length() - 1));
    }
    return allow(required, Optional.empty(), scopedUser, false, id, reasons);
  }

  /**
   * agno filters a family's listing in the handler whatever the route map says: a custom mapping on
   * {@code GET /agents} ({@code []} or {@code ["app:read"]}) lets the request through the map, but the list still
   * holds only what the caller may read or run (403 when nothing). Here every enforced, non-admin listing allow
   * therefore carries accessible ids; without them the list would show everything.
   */
  private Decision listingAlwaysFiltered(Decision d, Principal principal, RoleDirectory.Expansion expansion, String method,
                                         String path, Target target) {
    if (!d.allowed() || d.admin() || d.accessibleIds().isPresent()) return d;
    if (principal.kind() == Principal.Kind.SECURITY_KEY || principal.kind() == Principal.Kind.ANONYMOUS) return d;
    boolean enforced = config.enabled() || principal.userId().map(u -> u.startsWith("sa:")).orElse(false);
    boolean listing = (method.equals("GET") || method.equals("HEAD")) && target.matches() && target.resourceId() == null
        && !path.startsWith("/a2a/");
    if (!enforced || !listing) return d;
    String family = target.family();
    ScopeIndex userScopes = index(expansion.scopes());
    Set<String> ids = new HashSet<>(userScopes.accessibleIds(family, "read"));
    ids.addAll(userScopes.accessibleIds(family, "run"));
    if (ids.contains("*")) ids = Set.of("*");
    List<String> reasons = new ArrayList<>(d.reasons());
    if (ids.isEmpty()) {
      reasons.add("listing: no " + family + " readable or runnable");
      return new Decision(false, d.required(), Optional.empty(), d.scopedUserId(), false, d.decisionId(), reasons,
          "Insufficient permissions. Required scope(s): " + family + ":read");
    }
    reasons.add("listing filtered to " + (ids.contains("*") ? "all" : ids.size() + " " + family));
    return new Decision(true, d.required(), Optional.of(Set.copyOf(ids)), d.scopedUserId(), false, d.decisionId(), reasons, null);
  }

  private Decision applyDenies(Decision d, List<Scope> denies, String method, String path, Target target) {
    String family = target.family();
    String resourceId = target.resourceId();
    List<Scope> checked = new ArrayList<>();
    for (String req : d.required()) checked.add(perResource(parsedRequired(req), family, resourceId));
    RouteAccess access = routeAccess(method, path);
    if (access != null) checked.add(Scope.parse(access.family() + ":" + access.id() + ":" + access.action(), config.adminScope()));
    for (Scope required : checked) {
      for (Scope deny : denies) {
        if (deny.satisfies(required, resourceId)) {
          List<String> reasons = new ArrayList<>(d.reasons());
          reasons.add(required.raw() + " denied by a role's deny " + deny.raw());
          return new Decision(false, d.required(), Optional.empty(), d.scopedUserId(), d.admin(), d.decisionId(), reasons,
              d.required().isEmpty() ? "Insufficient permissions"
                  : "Insufficient permissions. Required scope(s): " + String.join(", ", d.required()));
        }
      }
    }
    if (d.accessibleIds().isEmpty() || family == null || d.required().isEmpty()) return d;
    // Listing: ids a role denies are left out, even when everything else is visible.
    String action = parsedRequired(d.required().get(0)).action();
    Set<String> excluded = new java.util.HashSet<>();
    for (Scope deny : denies) {
      if (deny.kind() == Scope.Kind.PER_RESOURCE && !deny.isWildcard() && deny.resource().equals(family)
          && deny.action().equals(action)) {
        excluded.add(deny.id().get());
      }
    }
    if (excluded.isEmpty()) return d;
    Set<String> visible = new java.util.HashSet<>(d.accessibleIds().get());
    visible.removeAll(excluded);
    if (visible.isEmpty()) {
      return new Decision(false, d.required(), Optional.empty(), d.scopedUserId(), d.admin(), d.decisionId(), d.reasons(),
          "Insufficient permissions. Required scope(s): " + String.join(", ", d.required()));
    }
    List<String> reasons = new ArrayList<>(d.reasons());
    reasons.add("denied by a role: " + String.join(", ", excluded));
    return new Decision(true, d.required(), Optional.of(Set.copyOf(visible)), d.scopedUserId(), d.admin(), d.decisionId(),
        reasons, null, Set.copyOf(excluded));
  }

  private Scope perResource(Scope r, String family, String resourceId) {
    if (family != null && resourceId != null && r.kind() == Scope.Kind.GLOBAL && r.resource().equals(family)) {
      // what Scope.parse(family + ":" + resourceId + ":" + action) gives, without the parse (resourceId has no ':')
      return resourceId.indexOf(':') < 0
          ? new Scope(Scope.Kind.PER_RESOURCE, family + ":" + resourceId + ":" + r.action(), family, Optional.of(resourceId), r.action())
          : Scope.parse(family + ":" + resourceId + ":" + r.action(), config.adminScope());
    }
    return r;
  }

  /**
   * The users directory's kill switch (docs/authorization.md, "Users directory"): a disabled user's token, and every
   * service account minted for that user, is refused before anything else is looked at, whatever it holds; null when
   * the caller is not disabled.
   */
  private Decision killSwitch(Principal principal) {
    String home = principal.tenantId().orElse(dev.agentos.contract.Owner.IMPLICIT_TENANT);
    RoleDirectory directory = roles;
    switch (principal.kind()) {
      case JWT, UNVERIFIED, ACTOR, REPRESENTED -> {
        String sub = principal.userId().orElse(null);
        if (sub != null && directory.disabled(home, sub)) {
          return Decision.revoked(newDecisionId(), "user '" + sub + "' is disabled in the users directory", DISABLED).inTenant(home);
        }
        if (principal.kind() == Principal.Kind.REPRESENTED && principal.claims().getValue(Principal.MINTED_FOR_CLAIM) instanceof String user
            && directory.disabled(home, user)) {
          return Decision.revoked(newDecisionId(), "the acting service account was minted by user '" + user + "', who is disabled", DISABLED)
              .inTenant(home);
        }
      }
      case SERVICE_ACCOUNT -> {
        if (principal.userId().map(sa -> directory.disabled(home, sa)).orElse(false)) {
          return Decision.revoked(newDecisionId(), "service account '" + principal.userId().get() + "' is disabled in the users directory",
              "Service account is disabled").inTenant(home);
        }
        if (principal.claims().getValue(Principal.MINTED_FOR_CLAIM) instanceof String user && directory.disabled(home, user)) {
          return Decision.revoked(newDecisionId(), "the service account acts for user '" + user + "', who is disabled in the users directory",
              DISABLED).inTenant(home);
        }
      }
      default -> { }
    }
    return null;
  }

  // ---- delegation (docs/authorization.md, "Delegation") ------------------------------------------------

  /**
   * A delegated request (a token with an {@code act} chain): allowed only if the subject may make it and so may every
   * actor the chain names (the intersection); isolation follows the subject, and no actor's grant, the admin scope
   * included, widens what the subject may do. An actor the registry does not know and that holds no managed role
   * limits nothing, unless {@code actors_required} is on (then the request is refused).
   */
  private Evaluation delegated(Principal principal, String method, String path, Optional<String> requestedTenant) {
    String home = principal.tenantId().orElse(dev.agentos.contract.Owner.IMPLICIT_TENANT);
    Principal subject = principal.withoutActors();
    String refusal = chainRefusal(principal, home);
    if (refusal != null) {
      return new Evaluation(new Decision(false, List.of(), Optional.empty(), Optional.empty(), false, newDecisionId(),
          List.of(refusal), refusal).inTenant(home), null, expand(subject).scopes());
    }
    Decision disabledActor = disabledActor(principal, home);
    if (disabledActor != null) return new Evaluation(disabledActor, null, List.of());
    Evaluation asSubject = evaluate(subject, method, path, requestedTenant);
    Decision combined = asSubject.decision();
    List<String> reasons = new ArrayList<>();
    reasons.add("subject '" + subject.userId().orElse("?") + "': " + String.join("; ", combined.reasons()));
    if (!combined.allowed()) {
      return new Evaluation(withReasons(combined, reasons, combined.detail()), asSubject.route(), asSubject.held());
    }
    for (Principal.Actor actor : principal.actors()) {
      Principal asActor = actorPrincipal(actor, principal, home);
      if (asActor == null) {
        reasons.add("actor '" + actor.sub() + "': not registered, limits nothing");
        continue;
      }
      Decision d = evaluate(asActor, method, path, requestedTenant).decision();
      reasons.add("actor '" + actor.sub() + "': " + String.join("; ", d.reasons()));
      if (!d.allowed()) {
        String detail = "Actor '" + actor.sub() + "' may not do this for the user: " + (d.detail() == null ? "denied" : d.detail());
        Decision denied = d.revoked() ? Decision.revoked(combined.decisionId(), String.join(" | ", reasons), "Actor '" + actor.sub() + "' is disabled")
            : new Decision(false, combined.required(), Optional.empty(), combined.scopedUserId(), false, combined.decisionId(),
                List.copyOf(reasons), detail);
        return new Evaluation(denied.inTenant(combined.tenantId()), asSubject.route(), asSubject.held());
      }
      combined = intersect(combined, d);
    }
    // isolation follows the subject: an admin subject acting through a non-admin actor is scoped like any user
    Optional<String> scoped = combined.admin() ? combined.scopedUserId() : scopedUserId(subject, false);
    Decision allowed = new Decision(true, combined.required(), combined.accessibleIds(), scoped, combined.admin(),
        combined.decisionId(), List.copyOf(reasons), null, combined.excludedIds(), combined.tenantId());
    return new Evaluation(allowed, asSubject.route(), asSubject.held());
  }

  /**
   * A disabled user anywhere in the chain stops the request (401, as for the subject), registered or not: an actor that
   * limits nothing is still a user whose token the kill switch must stop.
   */
  private Decision disabledActor(Principal principal, String home) {
    for (Principal.Actor actor : principal.actors()) {
      if (roles.disabled(home, actor.sub())) {
        return Decision.revoked(newDecisionId(), "actor '" + actor.sub() + "' is disabled in the users directory",
            "Actor '" + actor.sub() + "' is disabled").inTenant(home);
      }
    }
    return null;
  }

  /** Why a chain is refused before anyone's grants are looked at, or null. */
  private String chainRefusal(Principal principal, String home) {
    List<Principal.Actor> chain = principal.actors();
    if (chain.size() > config.maxDelegationDepth()) {
      return "Delegation chain of " + chain.size() + " actors is longer than authorization.max_delegation_depth ("
          + config.maxDelegationDepth() + ")";
    }
    Set<String> seen = new HashSet<>();
    for (Principal.Actor actor : chain) {
      if (principal.userId().map(actor.sub()::equals).orElse(false)) return "An actor cannot be the subject it acts for ('" + actor.sub() + "')";
      if (!seen.add(actor.sub())) return "The delegation chain has a cycle: '" + actor.sub() + "' acts twice";
      if (actor.sub().startsWith("sa:")) {
        // a service account acts only for users who consented (a leaked credential cannot act for anyone else)
        if (roles.actingAccount(home, actor.sub()).isEmpty()) {
          return "Service account '" + actor.sub() + "' may not act for users (not minted with acts_for_users, revoked or expired)";
        }
        String subject = principal.userId().orElse("");
        if (!roles.consented(home, subject, actor.sub())) {
          return "'" + subject + "' has not consented to '" + actor.sub() + "' acting for them";
        }
        continue;
      }
      AgentOsConfig.ActorDefinition def = config.actors().get(actor.sub());
      if (def != null && def.maxChain().isPresent() && chain.size() > def.maxChain().get()) {
        return "Actor '" + actor.sub() + "' may act only in chains of at most " + def.maxChain().get();
      }
      if (config.actorsRequired() && def == null && roles.assigned(home, actor.sub()).isEmpty()) {
        return "Unknown actor '" + actor.sub() + "': not in authorization.actors and no managed role";
      }
    }
    return null;
  }

  /**
   * An actor as the policy decides for it: the registry's scopes and its managed roles (assigned to its {@code sub} in
   * the subject's tenant), in the subject's tenant; null for an actor that has neither.
   */
  private Principal actorPrincipal(Principal.Actor actor, Principal principal, String home) {
    Optional<List<String>> account = actor.sub().startsWith("sa:") ? roles.actingAccount(home, actor.sub()) : Optional.empty();
    if (account.isPresent()) {
      // a service account's own stored scopes, as when it calls as itself
      return new Principal(Principal.Kind.ACTOR, Optional.of(actor.sub()), account.get(), List.of(), Optional.empty(),
          new io.vertx.core.json.JsonObject(), 0, principal.tenantId(), principal.tokenRef());
    }
    AgentOsConfig.ActorDefinition def = config.actors().get(actor.sub());
    if (def == null && roles.assigned(home, actor.sub()).isEmpty()) return null;
    return new Principal(Principal.Kind.ACTOR, Optional.of(actor.sub()), def == null ? List.of() : def.scopes(), List.of(),
        Optional.empty(), new io.vertx.core.json.JsonObject(), 0, principal.tenantId(), principal.tokenRef());
  }

  /** Both decisions' allows at once: the ids both let through, the ids either leaves out, admin only if both are. */
  private static Decision intersect(Decision a, Decision b) {
    Optional<Set<String>> ids;
    if (a.accessibleIds().isEmpty()) ids = b.accessibleIds();
    else if (b.accessibleIds().isEmpty()) ids = a.accessibleIds();
    else if (a.accessibleIds().get().contains("*")) ids = b.accessibleIds();
    else if (b.accessibleIds().get().contains("*")) ids = a.accessibleIds();
    else {
      Set<String> both = new HashSet<>(a.accessibleIds().get());
      both.retainAll(b.accessibleIds().get());
      ids = Optional.of(Set.copyOf(both));
    }
    Set<String> excluded = new HashSet<>(a.excludedIds());
    excluded.addAll(b.excludedIds());
    return new Decision(true, a.required(), ids, a.scopedUserId(), a.admin() && b.admin(), a.decisionId(), a.reasons(), null,
        Set.copyOf(excluded), a.tenantId());
  }

  private static Decision withReasons(Decision d, List<String> reasons, String detail) {
    return new Decision(d.allowed(), d.required(), d.accessibleIds(), d.scopedUserId(), d.admin(), d.decisionId(), List.copyOf(reasons),
        detail, d.excludedIds(), d.tenantId(), d.revoked());
  }

  /** agno's detail for a disabled user. */
  public static final String DISABLED = "User is disabled";

  /** {@code check}: may the principal perform {@code action} (e.g. agents:run) on {@code resourceId}? */
  public Decision check(Principal principal, String action, String resourceId) {
    Decision off = killSwitch(principal);
    if (off != null) return off;
    if (!principal.actors().isEmpty()) {
      // the intersection, as for a request: the subject and every registered actor
      String home = principal.tenantId().orElse(dev.agentos.contract.Owner.IMPLICIT_TENANT);
      String refusal = chainRefusal(principal, home);
      if (refusal != null) {
        return new Decision(false, List.of(action), Optional.empty(), Optional.empty(), false, newDecisionId(), List.of(refusal), refusal);
      }
      Decision disabledActor = disabledActor(principal, home);
      if (disabledActor != null) return disabledActor;
      Decision d = check(principal.withoutActors(), action, resourceId);
      for (Principal.Actor actor : principal.actors()) {
        Principal asActor = actorPrincipal(actor, principal, home);
        if (!d.allowed() || asActor == null) continue;
        Decision a = check(asActor, action, resourceId);
        if (!a.allowed()) {
          return new Decision(false, List.of(action), Optional.empty(), Optional.empty(), false, d.decisionId(),
              List.of("actor '" + actor.sub() + "': " + String.join("; ", a.reasons())), "Actor '" + actor.sub() + "' may not: " + action);
        }
        if (d.admin() && !a.admin()) d = new Decision(true, d.required(), Optional.empty(), Optional.empty(), false, d.decisionId(), d.reasons(), null);
      }
      return d;
    }
    String id = newDecisionId();
    if (action.equals(config.adminScope())) {
      // "may this principal act as admin?": only with the admin scope and no deny anywhere (a deny beats admin)
      RoleDirectory.Expansion e = expand(principal);
      boolean admin = index(e.scopes()).hasAdmin() && e.deny().isEmpty();
      return new Decision(admin, List.of(action), Optional.empty(), Optional.empty(), admin, id,
          List.of(admin ? "admin scope held, no deny" : "not an admin without denies"), admin ? null : "Insufficient permissions");
    }
    Scope wanted = Scope.parse(action, config.adminScope());
    if (wanted.kind() != Scope.Kind.GLOBAL || !vocabulary.contains(action.startsWith("system:") ? "config:" + wanted.action() : action)) {
      return new Decision(false, List.of(action), Optional.empty(), Optional.empty(), false, id,
          List.of("unknown action " + action), "Unknown action");
    }
    RoleDirectory.Expansion expansion = expand(principal);
    ScopeIndex userScopes = index(expansion.scopes());
    Scope required = resourceId != null && FAMILIES.contains(wanted.resource())
        ? Scope.parse(wanted.resource() + ":" + resourceId + ":" + wanted.action(), config.adminScope())
        : wanted;
    for (Scope deny : parseAll(expansion.deny())) {
      // a deny on any one resource also withholds the family-wide scope (it could not be granted whole)
      boolean partOfGlobal = resourceId == null && deny.resource().equals(required.resource())
          && deny.action().equals(required.action());
      if (deny.satisfies(required, resourceId) || partOfGlobal) {
        return new Decision(false, List.of(action), Optional.empty(), Optional.empty(), false, id,
            List.of(required.raw() + " denied by a role's deny " + deny.raw()), "Insufficient permissions. Required scope(s): " + action);
      }
    }
    Optional<Scope> grant = userScopes.grant(required, resourceId);
    if (grant.isPresent()) {
      return new Decision(true, List.of(action), Optional.empty(), Optional.empty(), grant.get().kind() == Scope.Kind.ADMIN,
          id, List.of(required.raw() + " granted by " + grant.get().raw()), null);
    }
    return new Decision(false, List.of(action), Optional.empty(), Optional.empty(), false, id,
        List.of("missing " + required.raw()), "Insufficient permissions. Required scope(s): " + action);
  }

  /** docs/isolation.md (a principal without a user id is handled by the storage layer). */
  private Optional<String> scopedUserId(Principal p, boolean admin) {
    if (admin) return Optional.empty();
    if (p.userId().map(u -> u.startsWith("sa:")).orElse(false)) return p.userId();
    if (!config.userIsolation()) return Optional.empty();
    return p.userId();
  }

  /**
   * Parsed scope lists, keyed by the exact list of strings: a token's scopes are parsed once, not on every
   * request (speed is a product requirement: docs/benchmarks.md). Bounded; scope strings are immutable values, so entries never go stale.
   */
  private final com.github.benmanes.caffeine.cache.Cache<List<String>, List<Scope>> parsed =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000).build();

  /**
   * The index of a scope list, by the list's identity: a cached principal's scopes and a cached role expansion
   * are the same list object request after request, so this is a hash of one reference (weak keys: an entry
   * goes when its list does). A list seen for the first time is parsed (by content, {@link #parsed}) and indexed.
   */
  private final com.github.benmanes.caffeine.cache.Cache<List<String>, ScopeIndex> indexes =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().weakKeys().maximumSize(10_000).build();

  /** The same, by content: a principal decoded from another node is a new list with the same scopes. */
  private final com.github.benmanes.caffeine.cache.Cache<List<String>, ScopeIndex> indexesByContent =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000).build();

  private ScopeIndex index(List<String> raw) {
    return indexes.get(raw, list -> indexesByContent.get(list, l -> new ScopeIndex(parseNow(l))));
  }

  /** The route map's required scopes, parsed once each (a fixed vocabulary). */
  private final java.util.concurrent.ConcurrentHashMap<String, Scope> requiredScopes = new java.util.concurrent.ConcurrentHashMap<>();

  private Scope parsedRequired(String raw) {
    Scope s = requiredScopes.get(raw);
    if (s != null) return s;
    s = Scope.parse(raw, config.adminScope());
    if (requiredScopes.size() < 10_000) requiredScopes.put(raw, s);
    return s;
  }

  private List<Scope> parseAll(List<String> raw) {
    if (raw.size() <= 4) return parseNow(raw);
    return parsed.get(raw, this::parseNow);
  }

  private List<Scope> parseNow(List<String> raw) {
    List<Scope> out = new ArrayList<>(raw.size());
    for (String s : raw) out.add(Scope.parse(s, config.adminScope()));
    return List.copyOf(out);
  }

  private static Decision allow(List<String> required, Optional<Set<String>> ids, Optional<String> scopedUser,
                                boolean admin, String id, List<String> reasons) {
    return new Decision(true, required, ids, scopedUser, admin, id, reasons, null);
  }

  private static String newDecisionId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return Long.toHexString(r.nextLong() | Long.MIN_VALUE) + Long.toHexString(r.nextLong() | Long.MIN_VALUE);
  }
}
