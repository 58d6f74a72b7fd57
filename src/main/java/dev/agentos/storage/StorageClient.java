package dev.agentos.storage;

import dev.agentos.contract.Document;
import dev.agentos.contract.JsonText;
import dev.agentos.contract.RequestBinding;
import dev.agentos.contract.StorageApi;
import dev.agentos.contract.StorageRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * What other verticles use to talk to the storage verticle. A failed future carries a {@link StorageFailure}
 * whose code is a {@link StorageApi} failure code; anything that is not the storage verticle's own answer
 * (no handler, timeout) is {@link StorageApi#UNAVAILABLE}.
 */
public final class StorageClient {
  private final Vertx vertx;
  private final long timeoutMs;

  public StorageClient(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    dev.agentos.contract.Contract.registerCodecs(vertx);
  }

  /** How long a request waits for the storage verticle ({@code storage.request_timeout_ms}). */
  public long timeoutMs() {
    return timeoutMs;
  }

  /** Sends a typed request (by reference in this JVM) and answers with the reply document. */
  public Future<JsonObject> request(StorageRequest request) {
    return send(request).compose(reply -> reply instanceof Document document ? Future.succeededFuture(document.json())
        : Future.failedFuture(new StorageFailure(StorageApi.UNAVAILABLE, "Database unavailable")));
  }

  private Future<Object> send(StorageRequest request) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs)
        .addHeader(StorageApi.ACTION_HEADER, request.action());
    return RequestBinding.request(vertx.eventBus(), StorageApi.ADDRESS, request, options).transform(ar -> {
      if (ar.succeeded()) return Future.succeededFuture(ar.result().body());
      if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return Future.failedFuture(new StorageFailure(re.failureCode(), re.getMessage()));
      }
      return Future.failedFuture(new StorageFailure(StorageApi.UNAVAILABLE, "Database unavailable"));
    });
  }

  /** Sends a request whose reply is JSON text (a page of runs: {@link JsonText}) and answers with the text. */
  public Future<String> requestText(StorageRequest request) {
    return send(request).compose(reply -> reply instanceof JsonText text ? Future.succeededFuture(text.json())
        : Future.failedFuture(new StorageFailure(StorageApi.UNAVAILABLE, "Database unavailable")));
  }

  /** The failure code of a failed request's cause ({@link StorageApi#UNAVAILABLE} for anything unexpected). */
  public static int code(Throwable failure) {
    return failure instanceof StorageFailure f ? f.code() : StorageApi.UNAVAILABLE;
  }
}
