package dev.agentos.runtime.impl;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/** The built-in model: its answer is the last user message, verbatim. Deterministic and offline. */
public final class EchoModel implements ModelCall {
  @Override
  public Future<String> complete(JsonArray messages, Consumer<String> onDelta, Cancellation cancellation) {
    String answer = "";
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonObject m = messages.getJsonObject(i);
      if ("user".equals(m.getString("role"))) {
        answer = m.getString("content", "");
        break;
      }
    }
    onDelta.accept(answer);
    return Future.succeededFuture(answer);
  }
}
