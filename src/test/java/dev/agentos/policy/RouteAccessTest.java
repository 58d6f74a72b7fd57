package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("The route-level checks found by splitting the path are the ones their expressions find")
class RouteAccessTest {
  private static final String[] SEGMENTS = {"agents", "teams", "workflows", "a2a", "a1", "x y", "runs", "r1", "cancel", "continue",
      "resume", "sessions", "s1", "fork", "", "..", "%2f", "v1", "tasks:get", "\\n"};

  @Test
  @DisplayName("200,000 seeded paths of the families' shapes, GET and POST and others: the same check, or none, each time")
  void sameAsPatterns() {
    Random r = new Random(20261201L);
    for (int i = 0; i < 200_000; i++) {
      StringBuilder path = new StringBuilder();
      int n = 1 + r.nextInt(6);
      for (int k = 0; k < n; k++) path.append('/').append(SEGMENTS[r.nextInt(SEGMENTS.length)].replace("\\n", "\n"));
      if (r.nextInt(20) == 0) path.append('/');
      String method = switch (r.nextInt(4)) {
        case 0, 1 -> "GET";
        case 2 -> "POST";
        default -> "DELETE";
      };
      String p = path.toString();
      assertThat(PolicyEngine.routeAccess(method, p)).as("%s %s", method, p).isEqualTo(PolicyEngine.routeAccessByPattern(method, p));
    }
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "GET|/agents/a1|agents:a1:read", "GET|/teams/t1/runs|teams:t1:run", "GET|/workflows/w/runs/r1|workflows:w:run",
      "POST|/agents/a1/runs|agents:a1:run", "POST|/agents/a1/runs/r1/cancel|agents:a1:run", "POST|/teams/t/runs/r/resume|teams:t:run",
      "POST|/agents/a1/sessions/s1/fork|agents:a1:run", "POST|/workflows/w/sessions/s1/fork|none", "POST|/agents/a1/runs/r1|none",
      "GET|/agents|none", "GET|/a2a/agents/a1|none", "DELETE|/agents/a1|none", "GET|/agents/a1/sessions|none"})
  @DisplayName("the table of route-level checks")
  void table(String method, String path, String expected) {
    PolicyEngine.RouteAccess access = PolicyEngine.routeAccess(method, path);
    assertThat(access == null ? "none" : access.family() + ":" + access.id() + ":" + access.action()).isEqualTo(expected);
  }

  @Test
  @DisplayName("the family and id of 200,000 seeded paths, found by splitting, are the ones the expression finds")
  void targetSameAsPattern() {
    Random r = new Random(42L);
    for (int i = 0; i < 200_000; i++) {
      StringBuilder path = new StringBuilder();
      int n = r.nextInt(5);
      for (int k = 0; k < n; k++) path.append('/').append(SEGMENTS[r.nextInt(SEGMENTS.length)].replace("\\n", "\n"));
      if (n == 0 || r.nextInt(10) == 0) path.append('/');
      String p = path.toString();
      assertThat(PolicyEngine.Target.of(p)).as(p).isEqualTo(PolicyEngine.Target.byPattern(p));
    }
  }
}
