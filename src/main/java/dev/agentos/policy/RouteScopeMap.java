package dev.agentos.policy;

import dev.agentos.common.Fnmatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * agno's route → required-scope map (docs/authorization.md) plus configured {@code scope_mappings}, merged as agno
 * does (a replaced key keeps its position, new keys are appended). Lookup: exact key first, then the first
 * fnmatch pattern in insertion order. Entries are indexed by method and first path segment, so a lookup
 * scans only the few entries that could match.
 */
public final class RouteScopeMap {
  /** An entry: {@code required} empty = any authenticated caller. */
  public record Entry(String method, String pattern, List<String> required, int order) {}

  private static final String[][] DEFAULTS = {
      {"GET /config", "config:read"},
      {"GET /models", "config:read"},
      {"GET /registry", "registry:read"},
      {"POST /databases/*/migrate", "config:write"},
      {"GET /agents", "agents:read"},
      {"GET /agents/*", "agents:read"},
      {"POST /agents", "agents:write"},
      {"PATCH /agents/*", "agents:write"},
      {"DELETE /agents/*", "agents:delete"},
      {"POST /agents/*/runs", "agents:run"},
      {"POST /agents/*/runs/*/continue", "agents:run"},
      {"POST /agents/*/runs/*/cancel", "agents:run"},
      {"POST /agents/*/runs/*/resume", "agents:run"},
      {"POST /agents/*/sessions/*/fork", "agents:run"},
      {"GET /teams", "teams:read"},
      {"GET /teams/*", "teams:read"},
      {"POST /teams", "teams:write"},
      {"PATCH /teams/*", "teams:write"},
      {"DELETE /teams/*", "teams:delete"},
      {"POST /teams/*/runs", "teams:run"},
      {"POST /teams/*/runs/*/continue", "teams:run"},
      {"POST /teams/*/runs/*/cancel", "teams:run"},
      {"POST /teams/*/runs/*/resume", "teams:run"},
      {"POST /teams/*/sessions/*/fork", "teams:run"},
      {"GET /workflows", "workflows:read"},
      {"GET /workflows/*", "workflows:read"},
      {"POST /workflows", "workflows:write"},
      {"PATCH /workflows/*", "workflows:write"},
      {"DELETE /workflows/*", "workflows:delete"},
      {"POST /workflows/*/runs", "workflows:run"},
      {"POST /workflows/*/runs/*/continue", "workflows:run"},
      {"POST /workflows/*/runs/*/cancel", "workflows:run"},
      {"POST /workflows/*/runs/*/resume", "workflows:run"},
      {"GET /sessions", "sessions:read"},
      {"GET /sessions/*", "sessions:read"},
      {"POST /sessions", "sessions:write"},
      {"POST /sessions/*/rename", "sessions:write"},
      {"PATCH /sessions/*", "sessions:write"},
      {"DELETE /sessions", "sessions:delete"},
      {"DELETE /sessions/*", "sessions:delete"},
      {"GET /memories", "memories:read"},
      {"GET /memories/*", "memories:read"},
      {"GET /memory_topics", "memories:read"},
      {"GET /user_memory_stats", "memories:read"},
      {"POST /memories", "memories:write"},
      {"PATCH /memories/*", "memories:write"},
      {"POST /optimize-memories", "memories:write"},
      {"DELETE /memories", "memories:delete"},
      {"DELETE /memories/*", "memories:delete"},
      {"GET /learnings", "learnings:read"},
      {"GET /learnings/*", "learnings:read"},
      {"POST /learnings", "learnings:write"},
      {"PATCH /learnings/*", "learnings:write"},
      {"DELETE /learnings/*", "learnings:delete"},
      {"GET /knowledge/*", "knowledge:read"},
      {"POST /knowledge/search", "knowledge:read"},
      {"POST /knowledge/content", "knowledge:write"},
      {"POST /knowledge/remote-content", "knowledge:write"},
      {"PATCH /knowledge/*", "knowledge:write"},
      {"DELETE /knowledge/*", "knowledge:delete"},
      {"GET /metrics", "metrics:read"},
      {"POST /metrics/refresh", "metrics:write"},
      {"GET /eval-runs", "evals:read"},
      {"GET /eval-runs/*", "evals:read"},
      {"POST /eval-runs", "evals:write"},
      {"PATCH /eval-runs/*", "evals:write"},
      {"DELETE /eval-runs", "evals:delete"},
      {"GET /traces", "traces:read"},
      {"GET /traces/*", "traces:read"},
      {"GET /trace_session_stats", "traces:read"},
      {"POST /traces/search", "traces:read"},
      {"GET /components", "components:read"},
      {"GET /components/*", "components:read"},
      {"POST /components", "components:write"},
      {"POST /components/*", "components:write"},
      {"PATCH /components/*", "components:write"},
      {"DELETE /components/*", "components:delete"},
      {"GET /schedules", "schedules:read"},
      {"GET /schedules/*", "schedules:read"},
      {"POST /schedules", "schedules:write"},
      {"POST /schedules/*", "schedules:write"},
      {"PATCH /schedules/*", "schedules:write"},
      {"DELETE /schedules/*", "schedules:delete"},
      {"GET /approvals", "approvals:read"},
      {"GET /approvals/*", "approvals:read"},
      {"POST /approvals/*/resolve", "approvals:write"},
      {"DELETE /approvals/*", "approvals:delete"},
      {"GET /service-accounts", "service_accounts:read"},
      {"POST /service-accounts", "service_accounts:write"},
      {"DELETE /service-accounts/*", "service_accounts:delete"},
      {"GET /a2a/agents/*/.well-known/agent-card.json", "agents:read"},
      {"POST /a2a/agents/*/v1/message:send", "agents:run"},
      {"POST /a2a/agents/*/v1/message:stream", "agents:run"},
      {"POST /a2a/agents/*/v1/tasks:get", "agents:read"},
      {"POST /a2a/agents/*/v1/tasks:cancel", "agents:run"},
      {"GET /a2a/teams/*/.well-known/agent-card.json", "teams:read"},
      {"POST /a2a/teams/*/v1/message:send", "teams:run"},
      {"POST /a2a/teams/*/v1/message:stream", "teams:run"},
      {"POST /a2a/teams/*/v1/tasks:get", "teams:read"},
      {"POST /a2a/teams/*/v1/tasks:cancel", "teams:run"},
      {"GET /a2a/workflows/*/.well-known/agent-card.json", "workflows:read"},
      {"POST /a2a/workflows/*/v1/message:send", "workflows:run"},
      {"POST /a2a/workflows/*/v1/message:stream", "workflows:run"},
      {"POST /a2a/message/send", "agents:run"},
      {"POST /a2a/message/stream", "agents:run"},
      // ours: the managed-roles API (docs/authorization.md)
      {"GET /authz/roles", "authz:read"},
      {"GET /authz/roles/*", "authz:read"},
      {"PUT /authz/roles/*", "authz:write"},
      {"PATCH /authz/roles/*", "authz:write"},
      {"DELETE /authz/roles/*", "authz:write"},
      {"GET /authz/subjects/*", "authz:read"},
      {"PUT /authz/subjects/*", "authz:write"},
      {"POST /authz/check", "authz:read"},
      {"GET /authz/audit", "authz:read"},
      {"GET /authz/scopes", "authz:read"},
      {"GET /authz/decisions", "authz:read"},
      // consents: each user for themselves (any authenticated caller; the routes allow only a user's own token)
      {"GET /authz/consents", ""},
      {"PUT /authz/consents/*", ""},
      {"DELETE /authz/consents/*", ""},
      // the users directory (agno 3.1's scopes of the same names)
      {"GET /users", "users:read"},
      {"GET /users/*", "users:read"},
      {"PATCH /users/*", "users:write"},
  };

  private final Map<String, Entry> exact = new HashMap<>();
  private final Map<String, List<Entry>> byMethodAndSegment = new HashMap<>();
  private final Map<String, List<Entry>> byMethodWildcard = new HashMap<>();
  private final Map<Entry, Pattern> patterns = new HashMap<>();
  private final List<Entry> entries;

  private RouteScopeMap(List<Entry> entries) {
    this.entries = List.copyOf(entries);
    for (Entry e : entries) {
      exact.put(e.method + " " + e.pattern, e);
      patterns.put(e, Fnmatch.compile(e.pattern));
      String seg = firstSegment(e.pattern);
      if (seg == null) {
        byMethodWildcard.computeIfAbsent(e.method, k -> new ArrayList<>()).add(e);
      } else {
        byMethodAndSegment.computeIfAbsent(e.method + " " + seg, k -> new ArrayList<>()).add(e);
      }
    }
  }

  /** agno's defaults merged with {@code custom} (same key replaces in place; new keys appended). */
  public static RouteScopeMap withDefaults(Map<String, List<String>> custom) {
    LinkedHashMap<String, List<String>> merged = new LinkedHashMap<>();
    for (String[] d : DEFAULTS) merged.put(d[0], d[1].isEmpty() ? List.of() : List.of(d[1]));
    merged.putAll(custom);
    List<Entry> entries = new ArrayList<>();
    int order = 0;
    for (Map.Entry<String, List<String>> e : merged.entrySet()) {
      String[] parts = e.getKey().split(" ", 2);
      entries.add(new Entry(parts[0], parts[1], List.copyOf(e.getValue()), order++));
    }
    return new RouteScopeMap(entries);
  }

  public List<Entry> entries() {
    return entries;
  }

  /**
   * The scope catalog: every scope an entry requires, sorted, with the routes ({@code "METHOD pattern"}) that require it,
   * and the admin scope, which grants every route and is listed with none. {@code GET /authz/scopes} and the RFC 9728
   * metadata's {@code scopes_supported} are both this, so they cannot disagree.
   */
  public java.util.SortedMap<String, List<String>> catalog(String adminScope) {
    java.util.TreeMap<String, List<String>> byScope = new java.util.TreeMap<>();
    for (Entry e : entries) {
      for (String scope : e.required()) byScope.computeIfAbsent(scope, k -> new ArrayList<>()).add(e.method() + " " + e.pattern());
    }
    byScope.putIfAbsent(adminScope, List.of());
    return java.util.Collections.unmodifiableSortedMap(byScope);
  }

  /** The matching entry, or empty (unmapped: any authenticated caller, as agno). */
  public Optional<Entry> lookup(String method, String path) {
    Entry hit = exact.get(method + " " + path);
    if (hit != null) return Optional.of(hit);
    String seg = firstSegment(path);
    Entry best = null;
    if (seg != null) best = firstMatch(byMethodAndSegment.get(method + " " + seg), path, null);
    best = firstMatch(byMethodWildcard.get(method), path, best);
    return Optional.ofNullable(best);
  }

  private Entry firstMatch(List<Entry> candidates, String path, Entry best) {
    if (candidates == null) return best;
    for (Entry e : candidates) {
      if (best != null && e.order > best.order) break;
      if (patterns.get(e).matcher(path).matches()) return e;
    }
    return best;
  }

  /** The literal first segment of a pattern or path, or null when the pattern's first segment has wildcards. */
  private static String firstSegment(String pathOrPattern) {
    int start = 1;
    int end = pathOrPattern.indexOf('/', start);
    String seg = end < 0 ? pathOrPattern.substring(start) : pathOrPattern.substring(start, end);
    if (seg.contains("*") || seg.contains("?") || seg.contains("[") || seg.contains("{")) return null;
    return seg;
  }
}
