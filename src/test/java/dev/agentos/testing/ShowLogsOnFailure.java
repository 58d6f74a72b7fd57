package dev.agentos.testing;

import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Registered for every test (META-INF/services, autodetection in junit-platform.properties): when a test fails,
 * prints what was logged while it ran (and while its class set up), and nothing otherwise.
 */
public final class ShowLogsOnFailure implements BeforeAllCallback, BeforeEachCallback, TestWatcher {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ShowLogsOnFailure.class);
  private static final int SHOWN = 400;

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NS).put("class-mark", CapturedLogs.mark());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NS).put("mark", CapturedLogs.mark());
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    Long mark = context.getStore(NS).get("mark", Long.class);
    if (mark == null) mark = context.getParent().map(p -> p.getStore(NS).get("class-mark", Long.class)).orElse(0L);
    StringBuilder out = new StringBuilder("\n----- log of the failed test ").append(context.getDisplayName())
        .append(" (").append(context.getRequiredTestClass().getSimpleName()).append(") -----\n");
    for (String line : CapturedLogs.since(mark, SHOWN)) out.append(line);
    out.append("----- end of log -----\n");
    System.out.print(out);
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    // an assumption that did not hold: nothing failed
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {
    // nothing ran
  }
}
