package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("docs/authorization.md")
class ScopeReferenceDocTest {
  @Test
  @DisplayName("its scope reference table is exactly the one generated from the route map")
  void tableMatchesMap() throws Exception {
    String doc = Files.readString(Path.of("docs/authorization.md"));
    String begin = "<!-- scope-table:begin -->\n";
    String end = "<!-- scope-table:end -->";
    String table = doc.substring(doc.indexOf(begin) + begin.length(), doc.indexOf(end));
    assertThat(table).isEqualTo(ScopeReference.table());
  }
}
