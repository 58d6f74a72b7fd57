package dev.agentos.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The agents, teams and workflows this instance serves, from the top-level {@code agents}, {@code teams} and
 * {@code workflows} lists of the config file, validated at start-up (unknown members or steps, duplicate ids,
 * unknown keys: exit 2).
 */
public record Registry(Map<String, Agent> agents, Map<String, Team> teams, Map<String, Workflow> workflows) {
  private static final Pattern ID = Pattern.compile("^[A-Za-z0-9._-]{1,128}$");

  /**
   * A model: {@code echo} (built in), or {@code openai} (any OpenAI-compatible chat-completions server at
   * {@code baseUrl}, with the key read at start-up from the env var named by {@code api_key_env}).
   */
  public record Model(String provider, String id, String baseUrl, Optional<String> apiKey, int timeoutSeconds) {
    public JsonObject toJson() {
      return new JsonObject().put("name", id).put("model", id).put("provider", provider);
    }

    @Override
    public String toString() {
      return "Model[" + provider + "/" + id + " at " + baseUrl + ", key " + (apiKey.isPresent() ? "set" : "none") + "]";
    }
  }

  /**
   * agno's default history window: the last 3 completed runs of the session go to the model with the new message
   * ({@code num_history_runs}; 0 sends none).
   */
  public static final int DEFAULT_HISTORY_RUNS = 3;

  public record Agent(String id, String name, String description, String instructions, Model model, int numHistoryRuns) {}

  public record Team(String id, String name, String description, String mode, List<String> members, Model model,
                     int numHistoryRuns) {}

  public record Step(String kind, String id) {}

  public record Workflow(String id, String name, String description, List<Step> steps) {}

  public static Registry empty() {
    return new Registry(Map.of(), Map.of(), Map.of());
  }

  static Registry parse(Object agents, Object teams, Object workflows, Map<String, String> env) {
    Map<String, Agent> a = new LinkedHashMap<>();
    for (JsonObject o : items(agents, "agents")) {
      String where = "agents[" + a.size() + "]";
      known(o, where, Set.of("id", "name", "description", "instructions", "model", "num_history_runs"));
      String id = id(o, where);
      if (a.containsKey(id)) throw new ConfigException(where + ".id", "duplicate agent id '" + id + "'");
      a.put(id, new Agent(id, str(o, "name", where).orElse(id), str(o, "description", where).orElse(null),
          str(o, "instructions", where).orElse(null), model(o.getValue("model"), where + ".model", env), historyRuns(o, where)));
    }
    Map<String, Team> t = new LinkedHashMap<>();
    for (JsonObject o : items(teams, "teams")) {
      String where = "teams[" + t.size() + "]";
      known(o, where, Set.of("id", "name", "description", "mode", "members", "model", "num_history_runs"));
      String id = id(o, where);
      if (t.containsKey(id)) throw new ConfigException(where + ".id", "duplicate team id '" + id + "'");
      String mode = str(o, "mode", where).orElse("coordinate");
      if (!mode.equals("coordinate") && !mode.equals("route")) throw new ConfigException(where + ".mode", "expected coordinate or route");
      List<String> members = strings(o.getValue("members"), where + ".members");
      if (members.isEmpty()) throw new ConfigException(where + ".members", "a team needs at least one member");
      for (String m : members) if (!a.containsKey(m)) throw new ConfigException(where + ".members", "unknown agent '" + m + "'");
      t.put(id, new Team(id, str(o, "name", where).orElse(id), str(o, "description", where).orElse(null), mode, members,
          model(o.getValue("model"), where + ".model", env), historyRuns(o, where)));
    }
    Map<String, Workflow> w = new LinkedHashMap<>();
    for (JsonObject o : items(workflows, "workflows")) {
      String where = "workflows[" + w.size() + "]";
      known(o, where, Set.of("id", "name", "description", "steps"));
      String id = id(o, where);
      if (w.containsKey(id)) throw new ConfigException(where + ".id", "duplicate workflow id '" + id + "'");
      if (!(o.getValue("steps") instanceof JsonArray stepsJson) || stepsJson.isEmpty()) {
        throw new ConfigException(where + ".steps", "expected a non-empty list of {agent: id} or {team: id}");
      }
      List<Step> steps = new ArrayList<>();
      for (int i = 0; i < stepsJson.size(); i++) {
        String at = where + ".steps[" + i + "]";
        if (!(stepsJson.getValue(i) instanceof JsonObject step) || step.size() != 1) throw new ConfigException(at, "expected {agent: id} or {team: id}");
        String kind = step.fieldNames().iterator().next();
        if (!(step.getValue(kind) instanceof String ref)) throw new ConfigException(at, "expected an id");
        if (kind.equals("agent") && !a.containsKey(ref)) throw new ConfigException(at, "unknown agent '" + ref + "'");
        else if (kind.equals("team") && !t.containsKey(ref)) throw new ConfigException(at, "unknown team '" + ref + "'");
        else if (!kind.equals("agent") && !kind.equals("team")) throw new ConfigException(at, "expected {agent: id} or {team: id}");
        steps.add(new Step(kind, ref));
      }
      w.put(id, new Workflow(id, str(o, "name", where).orElse(id), str(o, "description", where).orElse(null), List.copyOf(steps)));
    }
    // insertion order is the listing order
    return new Registry(java.util.Collections.unmodifiableMap(a), java.util.Collections.unmodifiableMap(t),
        java.util.Collections.unmodifiableMap(w));
  }

  /** Ids in declaration order. */
  public List<String> order(String family) {
    return switch (family) {
      case "agents" -> List.copyOf(agents.keySet());
      case "teams" -> List.copyOf(teams.keySet());
      default -> List.copyOf(workflows.keySet());
    };
  }

  /** How many earlier completed runs of the session the model sees: 0 to 100, agno's 3 by default. */
  private static int historyRuns(JsonObject o, String where) {
    Object v = o.getValue("num_history_runs");
    if (v == null) return DEFAULT_HISTORY_RUNS;
    if (!(v instanceof Integer n) || n < 0 || n > 100) {
      throw new ConfigException(where + ".num_history_runs", "expected an integer between 0 and 100");
    }
    return n;
  }

  private static Model model(Object raw, String where, Map<String, String> env) {
    if (raw == null) return new Model("echo", "echo", null, Optional.empty(), 60);
    if (!(raw instanceof JsonObject o)) throw new ConfigException(where, "expected {provider, id}");
    known(o, where, Set.of("provider", "id", "base_url", "api_key_env", "timeout_seconds"));
    String provider = str(o, "provider", where).orElse("echo");
    int timeout = 60;
    if (o.getValue("timeout_seconds") != null) {
      if (!(o.getValue("timeout_seconds") instanceof Integer t) || t < 1 || t > 3600) {
        throw new ConfigException(where + ".timeout_seconds", "expected an integer between 1 and 3600");
      }
      timeout = t;
    }
    switch (provider) {
      case "echo":
        return new Model("echo", str(o, "id", where).orElse("echo"), null, Optional.empty(), timeout);
      case "openai": {
        String id = str(o, "id", where).orElseThrow(() -> new ConfigException(where + ".id", "the openai provider needs a model id"));
        String baseUrl = str(o, "base_url", where).orElse("https://api.openai.com/v1");
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
          throw new ConfigException(where + ".base_url", "must be an http(s) URL");
        }
        Optional<String> key = Optional.empty();
        Optional<String> keyEnv = str(o, "api_key_env", where);
        if (keyEnv.isPresent()) {
          String value = env.get(keyEnv.get());
          if (value == null || value.isBlank()) throw new ConfigException(where + ".api_key_env", "env var " + keyEnv.get() + " is not set");
          key = Optional.of(value);
        }
        return new Model("openai", id, baseUrl.replaceAll("/+$", ""), key, timeout);
      }
      default:
        throw new ConfigException(where + ".provider", "expected echo or openai");
    }
  }

  private static List<JsonObject> items(Object raw, String where) {
    if (raw == null) return List.of();
    if (!(raw instanceof JsonArray arr)) throw new ConfigException(where, "expected a list");
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      if (!(arr.getValue(i) instanceof JsonObject o)) throw new ConfigException(where + "[" + i + "]", "expected a mapping");
      out.add(o);
    }
    return out;
  }

  private static void known(JsonObject o, String where, Set<String> keys) {
    for (String k : o.fieldNames()) if (!keys.contains(k)) throw new ConfigException(where + "." + k, "unknown key");
  }

  private static String id(JsonObject o, String where) {
    Object v = o.getValue("id");
    if (!(v instanceof String s) || !ID.matcher(s).matches()) {
      throw new ConfigException(where + ".id", "expected 1-128 characters of A-Z a-z 0-9 . _ -");
    }
    return s;
  }

  private static Optional<String> str(JsonObject o, String key, String where) {
    Object v = o.getValue(key);
    if (v == null) return Optional.empty();
    if (!(v instanceof String s)) throw new ConfigException(where + "." + key, "expected a string");
    return Optional.of(s);
  }

  private static List<String> strings(Object raw, String where) {
    if (!(raw instanceof JsonArray arr)) throw new ConfigException(where, "expected a list of ids");
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) throw new ConfigException(where, "expected a list of ids");
      if (seen.add(s)) out.add(s);
    }
    return List.copyOf(out);
  }
}
