package dev.agentos.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Test logs are captured, not printed, and a failed test's lines can be shown")
class CapturedLogsTest {
  @Test
  @DisplayName("a line logged after a mark is among the lines since it; one logged before is not")
  void sinceMark() {
    LoggerFactory.getLogger("captured-logs-test").info("before the mark");
    long mark = CapturedLogs.mark();
    LoggerFactory.getLogger("captured-logs-test").warn("after the mark");
    assertThat(String.join("", CapturedLogs.since(mark, 100))).contains("after the mark").doesNotContain("before the mark");
  }

  @Test
  @DisplayName("past the limit, the newest lines are kept and the rest are counted")
  void bounded() {
    long mark = CapturedLogs.mark();
    for (int i = 0; i < 30; i++) LoggerFactory.getLogger("captured-logs-test").info("line {}", i);
    var lines = CapturedLogs.since(mark, 10);
    assertThat(lines).hasSize(11);
    assertThat(lines.get(0)).startsWith("... 20 earlier lines");
    assertThat(lines.get(10)).contains("line 29");
  }
}
