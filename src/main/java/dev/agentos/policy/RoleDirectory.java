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
 * {@code authorization.roles}, and the managed ones in PostgreSQL, plus the roles assigned to subjects in
 * PostgreSQL. Immutable; a change replaces the whole directory.
 */
public final class RoleDirectory {
  private static final Logger log = LoggerFactory.getLogger(RoleDirectory.class);

  public enum Source { BUILT_IN, CONFIG, MANAGED }

  public record Role(String name, List<String> scopes, List<String> deny, Source source, String description) {
    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("scopes", new JsonArray(scopes)).put("deny", new JsonArray(deny))
          .put("source", source.name().toLowerCase(java.util.Locale.ROOT)).put("description", description);
    }
  }

  /** A principal's effective grants and denies, and the roles they came from. */
  public record Expansion(List<String> scopes, List<String> deny, List<String> roles) {}

  static final List<String> MEMBER_SCOPES = List.of(
      "agents:read", "agents:write", "agents:run", "teams:read", "teams:write", "teams:run",
      "workflows:read", "workflows:write", "workflows:run", "sessions:read", "sessions:write",
      "memories:read", "memories:write", "traces:read", "config:read", "knowledge:read", "evals:read", "metrics:read");

  private final Map<String, Role> roles;
  private final Map<String, List<String>> subjectRoles;
  /** Unknown role names already logged (kept across reloads, so each is logged once). */
  private final Set<String> loggedUnknown;

  private RoleDirectory(Map<String, Role> roles, Map<String, List<String>> subjectRoles, Set<String> loggedUnknown) {
    this.roles = roles;
    this.subjectRoles = subjectRoles;
    this.loggedUnknown = loggedUnknown;
  }

  /** Built-ins and configured roles only (before the managed ones are loaded, or when PostgreSQL is away). */
  public static RoleDirectory fromConfig(AgentOsConfig.Authorization config) {
    return build(config, new JsonArray(), new JsonObject(), ConcurrentHashMap.newKeySet());
  }

  /** With the managed roles ({@code [{name, scopes, deny, description}]}) and assignments ({@code {sub: [roles]}}). */
  public RoleDirectory withManaged(AgentOsConfig.Authorization config, JsonArray managed, JsonObject subjects) {
    return build(config, managed, subjects, loggedUnknown);
  }

  private static RoleDirectory build(AgentOsConfig.Authorization config, JsonArray managed, JsonObject subjects,
                                     Set<String> loggedUnknown) {
    Map<String, Role> all = new LinkedHashMap<>();
    all.put("owner", new Role("owner", List.of(config.adminScope()), List.of(), Source.BUILT_IN, "Everything (the admin scope)."));
    all.put("administrator", new Role("administrator", List.of(config.adminScope()), List.of(), Source.BUILT_IN,
        "Everything (the admin scope)."));
    all.put("member", new Role("member", MEMBER_SCOPES, List.of(), Source.BUILT_IN,
        "Read, write and run agents, teams and workflows; read and write sessions and memories; read traces, config, "
            + "knowledge, evals and metrics; no delete."));
    config.roles().forEach((name, def) -> all.put(name, new Role(name, def.scopes(), def.deny(), Source.CONFIG, null)));
    for (Object o : managed) {
      JsonObject r = (JsonObject) o;
      String name = r.getString("name");
      if (all.containsKey(name)) continue; // built-in and configured roles cannot be shadowed
      all.put(name, new Role(name, strings(r.getJsonArray("scopes")), strings(r.getJsonArray("deny")), Source.MANAGED,
          r.getString("description")));
    }
    Map<String, List<String>> assigned = new LinkedHashMap<>();
    for (String sub : subjects.fieldNames()) assigned.put(sub, strings(subjects.getJsonArray(sub)));
    return new RoleDirectory(Map.copyOf(all), Map.copyOf(assigned), loggedUnknown);
  }

  public Optional<Role> role(String name) {
    return Optional.ofNullable(roles.get(name));
  }

  public List<Role> roles() {
    return List.copyOf(roles.values());
  }

  public List<String> subjectRoles(String subject) {
    return subjectRoles.getOrDefault(subject, List.of());
  }

  private record ExpansionKey(List<String> scopes, List<String> roles, Optional<String> subject) {}

  /** Expansions of this directory (dropped with it when roles change, so never stale). */
  private final com.github.benmanes.caffeine.cache.Cache<ExpansionKey, Expansion> expansions =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000).build();

  /** The token's scopes, plus the scopes of its roles and of the roles assigned to its subject; their denies. */
  public Expansion expand(Principal principal) {
    if (principal.roles().isEmpty() && principal.userId().map(sub -> !subjectRoles.containsKey(sub)).orElse(true)) {
      return new Expansion(principal.scopes(), List.of(), List.of());
    }
    return expansions.get(new ExpansionKey(principal.scopes(), principal.roles(), principal.userId()), k -> expandNow(principal));
  }

  private Expansion expandNow(Principal principal) {
    Set<String> names = new LinkedHashSet<>(principal.roles());
    principal.userId().ifPresent(sub -> names.addAll(subjectRoles(sub)));
    if (names.isEmpty()) return new Expansion(principal.scopes(), List.of(), List.of());
    List<String> scopes = new ArrayList<>(principal.scopes());
    List<String> deny = new ArrayList<>();
    List<String> used = new ArrayList<>();
    for (String name : names) {
      Role role = roles.get(name);
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
