package dev.agentos.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Log lines cannot be forged")
class LogForgingTest {
  private static LoggerContext context;
  private static PatternLayoutEncoder encoder;

  @BeforeAll
  static void shippedConfiguration() throws Exception {
    context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(new File("src/main/resources/logback.xml"));
    @SuppressWarnings("unchecked")
    ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent> console =
        (ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent>) context.getLogger("ROOT").getAppender("STDOUT");
    encoder = (PatternLayoutEncoder) console.getEncoder();
  }

  private static String line(String pattern, Object... args) {
    LoggingEvent event = new LoggingEvent("test", context.getLogger("agentos.access"), Level.INFO, pattern, null, args);
    return encoder.getLayout().doLayout(event);
  }

  static Stream<String> hostileValues() {
    return Stream.of("eve\n2026-12-01T00:00:00.000+0000 INFO  [x] access - GET /admin 200 0.1ms user=root",
        "a\r\nb", "tab\there", "nul\u0000byte", "bell\u0007", "esc\u001b[31mred", "del\u007f", "c1\u0085next-line",
        "line\u2028separator", "para\u2029graph");
  }

  @ParameterizedTest
  @MethodSource("hostileValues")
  @DisplayName("a control character in any logged value is escaped: the line stays one line")
  void escaped(String value) {
    String line = line("{} {} {} user={}", "GET", "/sessions/" + value, 200, value);
    assertThat(line.indexOf('\n')).as(line).isEqualTo(line.length() - 1);
    assertThat(line.chars().limit(line.length() - 1).filter(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)
        || c == 0x2028 || c == 0x2029)).isEmpty();
    assertThat(line).contains("\\u");
  }

  @Test
  @DisplayName("JSON log lines stay valid JSON that reads back the same value")
  void jsonStaysJson() {
    String value = "eve\n{\"forged\": true}";
    String json = new JsonObject().put("user", value).put("path", "/a\r\nb").encode();
    String line = line("{}", json);
    String body = line.substring(line.indexOf('{'), line.length() - 1);
    assertThat(new JsonObject(body).getString("user")).isEqualTo(value);
  }

  @Test
  @DisplayName("the shipped logging configuration loads without a warning (a warning makes Logback print its whole status to stdout)")
  void configurationIsClean() {
    int highest = new ch.qos.logback.core.status.StatusUtil(context).getHighestLevel(0);
    assertThat(highest).as(context.getStatusManager().getCopyOfStatusList().toString()).isLessThan(ch.qos.logback.core.status.Status.WARN);
  }

  @Test
  @DisplayName("ordinary text is untouched")
  void ordinaryText() {
    assertThat(SafeMessageConverter.escape("GET /agents 200 1.2ms user=alice é ü 中")).isEqualTo("GET /agents 200 1.2ms user=alice é ü 中");
  }
}
