package dev.agentos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The package structure of docs/architecture.md, checked on the sources: a package uses only packages of a lower
 * layer (its own {@code impl} counts as itself), so no arrow runs back up and no two packages depend on each other.
 */
@DisplayName("Packages depend only on the layers below them")
class PackageLayersTest {
  /** Layer of each package, bottom first; packages of one layer do not use each other. */
  static final Map<String, Integer> LAYERS = Map.ofEntries(
      Map.entry("contract", 0), Map.entry("common", 0), Map.entry("logging", 0),
      Map.entry("config", 1),
      Map.entry("cluster", 2), Map.entry("storage", 2),
      Map.entry("authn", 3), Map.entry("policy", 3), Map.entry("runtime", 3),
      Map.entry("http.support", 4),
      Map.entry("http.pipeline", 5), Map.entry("http.routes", 5),
      Map.entry("http", 6),
      Map.entry("", 7));

  private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.agentos\\.((?:[a-z]+\\.)*)[A-Z]");

  /** The layered package a source's package (or a referenced one) belongs to: impl folds into its parent. */
  static String component(String pkg) {
    String p = pkg.endsWith(".impl") ? pkg.substring(0, pkg.length() - ".impl".length()) : pkg.equals("impl") ? "" : pkg;
    while (!LAYERS.containsKey(p)) p = p.contains(".") ? p.substring(0, p.lastIndexOf('.')) : "";
    return p;
  }

  @Test
  @DisplayName("every package of the sources has a layer, and every reference points to a lower one")
  void noArrowRunsBackUp() throws IOException {
    Path root = Path.of("src/main/java/dev/agentos");
    List<String> upward = new ArrayList<>();
    TreeSet<String> seen = new TreeSet<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String relative = root.relativize(file.getParent() == null ? root : file.getParent()).toString().replace('/', '.');
        String self = component(relative);
        seen.add(relative.isEmpty() ? "(root)" : relative);
        assertThat(LAYERS).as("layer of " + relative).containsKey(self);
        Matcher m = REFERENCE.matcher(Files.readString(file));
        while (m.find()) {
          String referenced = m.group(1).isEmpty() ? "" : m.group(1).substring(0, m.group(1).length() - 1);
          String target = component(referenced);
          if (target.equals(self)) continue;
          if (LAYERS.get(target) >= LAYERS.get(self)) upward.add(root.relativize(file) + " -> " + (target.isEmpty() ? "(root)" : target));
        }
      }
    }
    assertThat(seen).as("packages found").contains("contract", "http.pipeline", "http.routes", "http.support");
    assertThat(upward.stream().distinct().toList()).isEmpty();
  }

  @Test
  @DisplayName("a package named in no layer is placed under its parent, never left out")
  void unknownPackagesFoldIntoTheirParent() {
    assertThat(component("storage.impl")).isEqualTo("storage");
    assertThat(component("http.routes")).isEqualTo("http.routes");
    assertThat(component("http.something.new")).isEqualTo("http");
    assertThat(component("")).isEmpty();
  }
}
