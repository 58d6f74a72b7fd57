package dev.agentos.http;

import dev.agentos.testing.TestServer;
import java.time.Duration;

/** Polls GET /ready until it answers 200, or fails the test after the bound. */
final class Readiness {
  private Readiness() {}

  static void await(TestServer server, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = server.get("/ready").statusCode();
      if (last == 200) return;
      Thread.sleep(100);
    }
    throw new AssertionError("not ready within " + bound + " (last status " + last + ")");
  }
}
