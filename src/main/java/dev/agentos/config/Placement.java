package dev.agentos.config;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which verticles one node runs. Every verticle talks to the others only over the event bus, so in a cluster
 * an HTTP-only node is served by policy, storage and runtime verticles on other nodes.
 */
public record Placement(Set<Verticle> verticles) {

  public enum Verticle { HTTP, POLICY, STORAGE, RUNTIME }

  public static final List<String> ALL_NAMES = List.of("http", "policy", "storage", "runtime");

  public static final Placement ALL = new Placement(EnumSet.allOf(Verticle.class));

  public Placement {
    verticles = Set.copyOf(verticles);
  }

  /** Parses config names; an empty list, an unknown or a repeated name is a config error. */
  public static Placement parse(List<String> names) {
    if (names.isEmpty()) throw new ConfigException("cluster.verticles", "must name at least one of " + ALL_NAMES);
    EnumSet<Verticle> set = EnumSet.noneOf(Verticle.class);
    for (String name : names) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      if (!ALL_NAMES.contains(n)) {
        throw new ConfigException("cluster.verticles", "unknown verticle '" + name + "'; expected some of " + ALL_NAMES);
      }
      if (!set.add(Verticle.valueOf(n.toUpperCase(Locale.ROOT)))) {
        throw new ConfigException("cluster.verticles", "'" + n + "' is listed twice");
      }
    }
    return new Placement(set);
  }

  public boolean runs(Verticle verticle) {
    return verticles.contains(verticle);
  }

  public boolean isAll() {
    return verticles.size() == Verticle.values().length;
  }

  /** Config spelling, in deployment order. */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    for (Verticle v : Verticle.values()) if (verticles.contains(v)) out.add(v.name().toLowerCase(Locale.ROOT));
    return out;
  }
}
