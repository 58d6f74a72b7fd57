package dev.agentos.runtime.impl;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import java.util.function.Consumer;

/** One call to a model: chat messages in, the answer out; {@code onDelta} sees the answer as it arrives. */
public interface ModelCall {
  Future<String> complete(JsonArray messages, Consumer<String> onDelta, Cancellation cancellation);

  /** Set by a cancel request; a provider aborts its upstream request when it fires. */
  final class Cancellation {
    private volatile boolean cancelled;
    private volatile Runnable onCancel = () -> {};

    public boolean cancelled() {
      return cancelled;
    }

    public void onCancel(Runnable action) {
      this.onCancel = action;
      if (cancelled) action.run();
    }

    public void cancel() {
      cancelled = true;
      onCancel.run();
    }
  }
}
