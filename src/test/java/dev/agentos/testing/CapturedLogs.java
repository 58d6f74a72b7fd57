package dev.agentos.testing;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The tests' log appender (src/test/resources/logback-test.xml): keeps the most recent lines in memory instead of
 * printing them, so a passing run is quiet and {@link ShowLogsOnFailure} can print what a failing test logged.
 * Every line also goes to target/test.log.
 */
public final class CapturedLogs extends AppenderBase<ILoggingEvent> {
  private static final int KEPT = 20_000;
  private static final Deque<String> LINES = new ArrayDeque<>();
  private static long written;

  private final PatternLayout layout = new PatternLayout();

  @Override
  public void start() {
    layout.setContext(getContext());
    layout.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n%ex{12}");
    layout.start();
    super.start();
  }

  @Override
  protected void append(ILoggingEvent event) {
    String line = layout.doLayout(event);
    synchronized (LINES) {
      LINES.addLast(line);
      if (LINES.size() > KEPT) LINES.removeFirst();
      written++;
    }
  }

  /** A position in the log: lines written after it are {@link #since(long, int)} it. */
  public static long mark() {
    synchronized (LINES) {
      return written;
    }
  }

  /** At most {@code max} of the lines written since {@code mark}, the newest ones, and how many were left out. */
  public static List<String> since(long mark, int max) {
    synchronized (LINES) {
      long count = Math.min(written - mark, LINES.size());
      List<String> all = new ArrayList<>(LINES).subList((int) (LINES.size() - count), LINES.size());
      List<String> out = new ArrayList<>();
      if (all.size() > max) out.add("... " + (all.size() - max) + " earlier lines of this test in target/test.log\n");
      out.addAll(all.subList(Math.max(0, all.size() - max), all.size()));
      return out;
    }
  }
}
