package dev.agentos.policy;

import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every role the policy knows at one moment (docs/authorization.md): the built-ins, the ones in
 * {@code authorization.roles} (both the same in every tenant), and each tenant's managed ones in PostgreSQL, plus the
 * roles assigned to subjects in PostgreSQL, per tenant. Immutable; a change replaces the whole directory.
 */
public final class RoleDirectory {
  private static final Logger log = LoggerFactory.getLogger(RoleDirectory.class);

  public enum Source { BUILT_IN, CONFIG, MANAGED }

  /**
   * A role. {@code seeded}: defined in {@code authorization.roles}; a managed role of the same name is that definition
   * as changed at run time in one tenant, and wins there over the configuration (docs/authorization.md, "Roles from
   * the configuration are seeds").
   */
  public record Role(String name, List<String> scopes, List<String> deny, Source source, String description, boolean seeded) {
    public Role(String name, List<String> scopes, List<String> deny, Source source, String description) {
      this(name, scopes, deny, source, description, source == Source.CONFIG);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("name", name).put("scopes", new JsonArray(scopes)).put("deny", new JsonArray(deny))
          .put("source", source.name().toLowerCase(java.util.Locale.ROOT)).put("description", description);
      return seeded ? json.put("seeded_from_config", true) : json;
    }
  }

  /** The roles nobody can change: every tenant has them as they are. */
  public static final List<String> BUILT_IN = List.of("owner", "administrator", "member");

  /** A principal's effective grants and denies, and the roles they came from. */
  public record Expansion(List<String> scopes, List<String> deny, List<String> roles) {}

  static final List<String> MEMBER_SCOPES = List.of(
      "agents:read", "agents:write", "agents:run", "teams:read", "teams:write", "teams:run",
      "workflows:read", "workflows:write", "workflows:run", "sessions:read", "sessions:write",
      "memories:read", "memories:write", "traces:read", "config:read", "knowledge:read", "evals:read", "metrics:read");

  /** Built-in and configured roles: the same in every tenant. */
  private final Map<String, Role> global;
  /** Managed roles, per tenant (a tenant's cannot shadow a global one). */
  private final Map<String, Map<String, Role>> managed;
  /** Managed assignments, per tenant: subject to role names. */
  private final Map<String, Map<String, List<String>>> subjectRoles;
  /** Per tenant: the users directory's disabled users (the kill switch). */
  private final Map<String, Set<String>> disabled;
  /** Per tenant: users the directory knows who hold no managed role (they do not get the default role again). */
  private final Map<String, Set<String>> unassigned;
  /** {@code authorization.default_role}: held by a subject the directory does not know yet (its first request). */
  private final Optional<String> defaultRole;
  /** Per tenant: the service accounts that may act for consenting users ({@code sa:<name>}), with their scopes. */
  private final Map<String, Map<String, List<String>>> actingAccounts;
  /** Per tenant: actor → the subjects that consented to it acting for them. */
  private final Map<String, Map<String, Set<String>>> consents;
  /** The tenant {@link #role}, {@link #roles} and {@link #subjectRoles} answer for. */
  private final String tenant;
  /** Unknown role names already logged (kept across reloads, so each is logged once). */
  private final Set<String> loggedUnknown;

  private RoleDirectory(Map<String, Role> global, Map<String, Map<String, Role>> managed,
                        Map<String, Map<String, List<String>>> subjectRoles, Map<String, Set<String>> disabled,
                        Map<String, Set<String>> unassigned, Optional<String> defaultRole,
                        Map<String, Map<String, List<String>>> actingAccounts, Map<String, Map<String, Set<String>>> consents,
                        String tenant, Set<String> loggedUnknown) {
    this.actingAccounts = actingAccounts;
    this.consents = consents;
    this.global = global;
    this.managed = managed;
    this.subjectRoles = subjectRoles;
    this.disabled = disabled;
    this.unassigned = unassigned;
    this.defaultRole = defaultRole;
    this.tenant = tenant;
    this.loggedUnknown = loggedUnknown;
  }

  /** Built-ins and configured roles only (before the managed ones are loaded, or when PostgreSQL is away). */
  public static RoleDirectory fromConfig(AgentOsConfig.Authorization config) {
    return build(config, new JsonObject(), ConcurrentHashMap.newKeySet());
  }

  /**
   * With the managed roles and assignments of every tenant, as the storage snapshot has them:
   * {@code {tenants: {tenant: {roles: [{name, scopes, deny, description}], subjects: {sub: [roles]}, disabled: [sub],
   * unassigned: [sub]}}}}: the last two from the users directory.
   */
  public RoleDirectory withManaged(AgentOsConfig.Authorization config, JsonObject snapshot) {
    return build(config, snapshot.getJsonObject("tenants", new JsonObject()), loggedUnknown);
  }

  /** The snapshot shape {@link #withManaged} reads, for one tenant's roles and assignments. */
  public static JsonObject snapshot(String tenant, JsonArray roles, JsonObject subjects) {
    return new JsonObject().put("tenants", new JsonObject().put(tenant, new JsonObject().put("roles", roles).put("subjects", subjects)));
  }

  /** The same directory, answering {@link #role}, {@link #roles} and {@link #subjectRoles} for one tenant. */
  public RoleDirectory inTenant(String tenantId) {
    return new RoleDirectory(global, managed, subjectRoles, disabled, unassigned, defaultRole, actingAccounts, consents, tenantId,
        loggedUnknown);
  }

  private static RoleDirectory build(AgentOsConfig.Authorization config, JsonObject tenants, Set<String> loggedUnknown) {
    Map<String, Role> all = new LinkedHashMap<>();
    all.put("owner", new Role("owner", List.of(config.adminScope()), List.of(), Source.BUILT_IN, "Everything (the admin scope)."));
    all.put("administrator", new Role("administrator", List.of(config.adminScope()), List.of(), Source.BUILT_IN,
        "Everything (the admin scope)."));
    all.put("member", new Role("member", MEMBER_SCOPES, List.of(), Source.BUILT_IN,
        "Read, write and run agents, teams and workflows; read and write sessions and memories; read traces, config, "
            + "knowledge, evals and metrics; no delete."));
    config.roles().forEach((name, def) -> all.put(name, new Role(name, def.scopes(), def.deny(), Source.CONFIG, null)));
    Map<String, Map<String, Role>> managedByTenant = new LinkedHashMap<>();
    Map<String, Map<String, List<String>>> assignedByTenant = new LinkedHashMap<>();
    Map<String, Set<String>> disabledByTenant = new LinkedHashMap<>();
    Map<String, Map<String, List<String>>> actingByTenant = new LinkedHashMap<>();
    Map<String, Map<String, Set<String>>> consentsByTenant = new LinkedHashMap<>();
    Map<String, Set<String>> unassignedByTenant = new LinkedHashMap<>();
    for (String tenantId : tenants.fieldNames()) {
      JsonObject t = tenants.getJsonObject(tenantId);
      Map<String, Role> roles = new LinkedHashMap<>();
      for (Object o : t.getJsonArray("roles", new JsonArray())) {
        JsonObject r = (JsonObject) o;
        String name = r.getString("name");
        if (BUILT_IN.contains(name)) continue; // built-in roles cannot be shadowed
        // a configured role's name: its run-time edit in this tenant, which the configuration never overwrites
        roles.put(name, new Role(name, strings(r.getJsonArray("scopes")), strings(r.getJsonArray("deny")), Source.MANAGED,
            r.getString("description"), config.roles().containsKey(name)));
      }
      disabledByTenant.put(tenantId, Set.copyOf(strings(t.getJsonArray("disabled"))));
      JsonObject acting = t.getJsonObject("acting_accounts", new JsonObject());
      Map<String, List<String>> accounts = new LinkedHashMap<>();
      for (String sa : acting.fieldNames()) accounts.put(sa, strings(acting.getJsonArray(sa)));
      actingByTenant.put(tenantId, Map.copyOf(accounts));
      JsonObject granted = t.getJsonObject("consents", new JsonObject());
      Map<String, Set<String>> byActor = new LinkedHashMap<>();
      for (String actor : granted.fieldNames()) byActor.put(actor, Set.copyOf(strings(granted.getJsonArray(actor))));
      consentsByTenant.put(tenantId, Map.copyOf(byActor));
      unassignedByTenant.put(tenantId, Set.copyOf(strings(t.getJsonArray("unassigned"))));
      JsonObject subjects = t.getJsonObject("subjects", new JsonObject());
      Map<String, List<String>> assigned = new LinkedHashMap<>();
      for (String sub : subjects.fieldNames()) assigned.put(sub, strings(subjects.getJsonArray(sub)));
      managedByTenant.put(tenantId, Map.copyOf(roles));
      assignedByTenant.put(tenantId, Map.copyOf(assigned));
    }
    return new RoleDirectory(Map.copyOf(all), Map.copyOf(managedByTenant), Map.copyOf(assignedByTenant),
        Map.copyOf(disabledByTenant), Map.copyOf(unassignedByTenant), config.defaultRole(), Map.copyOf(actingByTenant),
        Map.copyOf(consentsByTenant), dev.agentos.contract.Owner.IMPLICIT_TENANT, loggedUnknown);
  }

  public Optional<Role> role(String name) {
    return role(tenant, name);
  }

  /** A built-in role; else the tenant's managed role (a configured role as edited there); else the configured one. */
  private Optional<Role> role(String tenantId, String name) {
    if (BUILT_IN.contains(name)) return Optional.ofNullable(global.get(name));
    Role r = managed.getOrDefault(tenantId, Map.of()).get(name);
    return Optional.ofNullable(r != null ? r : global.get(name));
  }

  /** The global roles (a configured one as this tenant edited it, if it did), then this tenant's other managed ones. */
  public List<Role> roles() {
    Map<String, Role> own = managed.getOrDefault(tenant, Map.of());
    List<Role> out = new ArrayList<>();
    for (Role r : global.values()) out.add(own.getOrDefault(r.name(), r));
    for (Role r : own.values()) if (!global.containsKey(r.name())) out.add(r);
    return List.copyOf(out);
  }

  /** The managed roles assigned to {@code subject} in {@code tenantId} (whatever tenant this view answers for). */
  public List<String> assigned(String tenantId, String subject) {
    return subjectRoles(tenantId, subject);
  }

  /** The scopes of {@code sa:<name>} when it may act for consenting users in the tenant (active, minted so). */
  public Optional<List<String>> actingAccount(String tenantId, String actor) {
    return Optional.ofNullable(actingAccounts.getOrDefault(tenantId, Map.of()).get(actor));
  }

  /** Whether {@code subject} consented to {@code actor} acting for it, in the tenant. */
  public boolean consented(String tenantId, String subject, String actor) {
    return consents.getOrDefault(tenantId, Map.of()).getOrDefault(actor, Set.of()).contains(subject);
  }

  /** Whether the users directory has this subject disabled in this tenant: the kill switch. */
  public boolean disabled(String tenantId, String subject) {
    return disabled.getOrDefault(tenantId, Set.of()).contains(subject);
  }

  /** Whether the users directory knows the subject in the tenant (with or without managed roles). */
  public boolean knows(String tenantId, String subject) {
    return subjectRoles.getOrDefault(tenantId, Map.of()).containsKey(subject)
        || unassigned.getOrDefault(tenantId, Set.of()).contains(subject);
  }

  /** The default role a token's subject holds because the directory does not know it yet (its first request). */
  private Optional<String> firstRequestRole(Principal principal, String home) {
    if (defaultRole.isEmpty() || principal.userId().isEmpty()) return Optional.empty();
    if (principal.kind() != Principal.Kind.JWT && principal.kind() != Principal.Kind.UNVERIFIED) return Optional.empty();
    return knows(home, principal.userId().get()) ? Optional.empty() : defaultRole;
  }

  public List<String> subjectRoles(String subject) {
    return subjectRoles(tenant, subject);
  }

  private List<String> subjectRoles(String tenantId, String subject) {
    return subjectRoles.getOrDefault(tenantId, Map.of()).getOrDefault(subject, List.of());
  }

  private record ExpansionKey(List<String> scopes, List<String> roles, Optional<String> subject, String tenant, Principal.Kind kind) {}

  /** Expansions of this directory (dropped with it when roles change, so never stale). */
  private final com.github.benmanes.caffeine.cache.Cache<ExpansionKey, Expansion> expansions =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000).build();

  /**
   * The token's scopes, plus the scopes of its roles and of the roles assigned to its subject in its own tenant (the
   * principal's, whatever tenant this view answers for); their denies.
   */
  public Expansion expand(Principal principal) {
    return expand(principal, principal.scopes());
  }

  /** The same, with {@code honoured} as the principal's own scopes (none, when token scopes are not trusted). */
  public Expansion expand(Principal principal, List<String> honoured) {
    String home = principal.tenantId().orElse(dev.agentos.contract.Owner.IMPLICIT_TENANT);
    if (principal.roles().isEmpty() && principal.userId().map(sub -> subjectRoles(home, sub).isEmpty()).orElse(true)
        && firstRequestRole(principal, home).isEmpty()) {
      return new Expansion(honoured, List.of(), List.of());
    }
    return expansions.get(new ExpansionKey(honoured, principal.roles(), principal.userId(), home, principal.kind()),
        k -> expandNow(principal, honoured, home));
  }

  private Expansion expandNow(Principal principal, List<String> honoured, String home) {
    Set<String> names = new LinkedHashSet<>(principal.roles());
    principal.userId().ifPresent(sub -> names.addAll(subjectRoles(home, sub)));
    firstRequestRole(principal, home).ifPresent(names::add);
    if (names.isEmpty()) return new Expansion(honoured, List.of(), List.of());
    List<String> scopes = new ArrayList<>(honoured);
    List<String> deny = new ArrayList<>();
    List<String> used = new ArrayList<>();
    for (String name : names) {
      Role role = role(home, name).orElse(null);
      if (role == null) {
        if (loggedUnknown.add(name)) log.warn("unknown role '{}' grants nothing (logged once)", name);
        continue;
      }
      used.add(name);
      scopes.addAll(role.scopes());
      deny.addAll(role.deny());
    }
    return new Expansion(List.copyOf(scopes), List.copyOf(deny), List.copyOf(used));
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    if (a != null) for (Object o : a) if (o instanceof String s) out.add(s);
    return List.copyOf(out);
  }
}
