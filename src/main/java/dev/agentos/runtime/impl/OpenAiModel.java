package dev.agentos.runtime.impl;

import dev.agentos.config.Registry;
import dev.agentos.runtime.ModelFailure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp server, ...) over the Vert.x HTTP client,
 * always streamed from the provider so a run can be cancelled mid-answer. Failures are {@link ModelFailure}s:
 * 504 on a timeout, 502 on anything else (connection refused, non-2xx, malformed stream).
 */
public final class OpenAiModel implements ModelCall {
  private final HttpClient client;
  private final Registry.Model model;

  public OpenAiModel(HttpClient client, Registry.Model model) {
    this.client = client;
    this.model = model;
  }

  @Override
  public Future<String> complete(JsonArray messages, Consumer<String> onDelta, Cancellation cancellation) {
    Promise<String> result = Promise.promise();
    StringBuilder answer = new StringBuilder();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(model.baseUrl() + "/chat/completions")
        .setTimeout(model.timeoutSeconds() * 1000L).putHeader("Content-Type", "application/json")
        .putHeader("Accept", "text/event-stream");
    model.apiKey().ifPresent(k -> options.putHeader("Authorization", "Bearer " + k));
    JsonObject body = new JsonObject().put("model", model.id()).put("messages", messages).put("stream", true);
    client.request(options).compose(req -> {
      cancellation.onCancel(() -> req.reset());
      return req.send(body.toBuffer());
    }).onComplete(ar -> {
      if (ar.failed()) {
        result.tryFail(failure(ar.cause(), cancellation));
        return;
      }
      HttpClientResponse response = ar.result();
      if (response.statusCode() / 100 != 2) {
        response.body().onComplete(b -> result.tryFail(new ModelFailure(502, "Model provider error: HTTP " + response.statusCode())));
        return;
      }
      RecordParser lines = RecordParser.newDelimited("\n", response);
      lines.handler(line -> onLine(line, answer, onDelta, result));
      lines.exceptionHandler(e -> result.tryFail(failure(e, cancellation)));
      lines.endHandler(v -> result.tryComplete(answer.toString()));
    });
    return result.future();
  }

  private static void onLine(Buffer raw, StringBuilder answer, Consumer<String> onDelta, Promise<String> result) {
    String line = raw.toString().strip();
    if (!line.startsWith("data:")) return;
    String data = line.substring(5).strip();
    if (data.equals("[DONE]")) {
      result.tryComplete(answer.toString());
      return;
    }
    try {
      JsonObject chunk = new JsonObject(data);
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) return;
      JsonObject choice = choices.getJsonObject(0);
      JsonObject delta = choice.getJsonObject("delta", choice.getJsonObject("message", new JsonObject()));
      String piece = delta.getString("content");
      if (piece != null && !piece.isEmpty()) {
        answer.append(piece);
        onDelta.accept(piece);
      }
    } catch (DecodeException | ClassCastException e) {
      result.tryFail(new ModelFailure(502, "Model provider error: malformed stream"));
    }
  }

  private static Throwable failure(Throwable cause, Cancellation cancellation) {
    if (cancellation.cancelled()) return new ModelFailure(499, "Run cancelled");
    Throwable c = cause;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    if (cause instanceof TimeoutException || c instanceof TimeoutException
        || String.valueOf(cause.getMessage()).contains("timeout")) {
      return new ModelFailure(504, "Model provider timed out");
    }
    return new ModelFailure(502, "Model provider error: " + cause.getClass().getSimpleName());
  }
}
