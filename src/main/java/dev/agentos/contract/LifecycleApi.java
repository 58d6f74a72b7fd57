package dev.agentos.contract;

/** Node-local lifecycle broadcasts (published with {@code publish}, consumed with {@code localConsumer}). */
public final class LifecycleApi {
  private LifecycleApi() {}

  /** Published once when this node starts shutting down: readiness turns false. Body: empty. */
  public static final String DRAINING = "agentos.lifecycle.v1.draining";
}
