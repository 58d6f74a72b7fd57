package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Scope grammar and matching (docs/authorization.md)")
class ScopeTest {

  @ParameterizedTest(name = "\"{0}\" parses as {1}")
  @CsvSource(delimiter = '|', value = {
      "agent_os:admin      | ADMIN",
      "agents:read         | GLOBAL",
      "config:read         | GLOBAL",
      "agents:web-agent:read | PER_RESOURCE",
      "agents:*:run        | PER_RESOURCE",
      "agents:*            | GLOBAL",
      "agents              | UNKNOWN",
      "a:b:c:d             | UNKNOWN",
      "''                  | UNKNOWN",
      "agents:my:agent:run | UNKNOWN"})
  void grammar(String raw, Scope.Kind kind) {
    assertThat(Scope.parse(raw, "agent_os:admin").kind()).isEqualTo(kind);
  }

  /** user scope | required scope | request resource id | granted? */
  @ParameterizedTest(name = "user \"{0}\" vs required \"{1}\" (id {2}): {3}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "agent_os:admin        | agents:a1:run    | a1 | true",
      "agent_os:admin        | config:write     | -  | true",
      "agents:read           | agents:read      | -  | true",
      "agents:read           | agents:a1:read   | a1 | true",
      "agents:*:read         | agents:read      | -  | true",
      "agents:*:read         | agents:a1:read   | a1 | true",
      "agents:a1:read        | agents:a1:read   | a1 | true",
      "agents:a1:read        | agents:a2:read   | a2 | false",
      "agents:a1:read        | agents:read      | -  | false",
      "agents:a1:run         | agents:a1:read   | a1 | false",
      "agents:read           | teams:read       | -  | false",
      "agents:*              | agents:read      | -  | false",
      "*:*:run               | agents:a1:run    | a1 | false",
      "system:read           | config:read      | -  | true",
      "config:read           | system:read      | -  | true",
      "system:write          | config:read      | -  | false",
      "Agents:read           | agents:read      | -  | false",
      "' agents:read'        | agents:read      | -  | false",
      "agents:read           | Agents:read      | -  | false",
      "sessions:x:read       | sessions:read    | -  | false",
      "a:b:c:d               | a:b:c:d          | -  | false",
      "agents:A1:run         | agents:a1:run    | a1 | false"})
  void matching(String user, String required, String id, boolean granted) {
    Scope u = Scope.parse(user, "agent_os:admin");
    Scope r = Scope.parse(required, "agent_os:admin");
    assertThat(u.satisfies(r, id)).isEqualTo(granted);
  }

  @ParameterizedTest(name = "with admin_scope custom:admin, \"{0}\" grants agents:read: {1}")
  @CsvSource({"custom:admin, true", "agent_os:admin, false"})
  void customAdminReplacesDefault(String user, boolean granted) {
    Scope u = Scope.parse(user, "custom:admin");
    assertThat(u.satisfies(Scope.parse("agents:read", "custom:admin"), null)).isEqualTo(granted);
  }
}
