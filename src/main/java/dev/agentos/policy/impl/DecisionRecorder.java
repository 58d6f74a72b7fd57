package dev.agentos.policy.impl;

import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import dev.agentos.contract.StorageRequest;
import dev.agentos.storage.StorageClient;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a policy verticle's decisions to storage (docs/authorization.md, "Decision records") off the request path:
 * {@link #record} only appends to a bounded queue on the verticle's event loop; batches of up to {@link #BATCH} go to
 * storage every {@link #FLUSH_MS} ms (or as soon as a batch is full), at most {@link #IN_FLIGHT} at once. A full queue
 * or a failed write drops records and counts them; it never delays or fails a decision. Text from the request (path,
 * subject, reasons) is stripped of control characters and unpaired surrogates and bounded in length before it is
 * queued. Not thread-safe: one per policy verticle instance, used on its event loop.
 */
public final class DecisionRecorder {
  private static final Logger log = LoggerFactory.getLogger(DecisionRecorder.class);
  static final int BATCH = 500;
  static final long FLUSH_MS = 200;
  static final int IN_FLIGHT = 2;

  private final Vertx vertx;
  private final StorageClient storage;
  private final int capacity;
  private final Counter dropped;
  private final Counter written;
  private final ArrayDeque<JsonObject> queue = new ArrayDeque<>();
  private int inFlight;
  private long timer = -1;
  private long droppedCount;
  private long lastDropLogNanos;

  /** @param dropped and @param written may be null (no metrics registry) */
  public DecisionRecorder(Vertx vertx, StorageClient storage, int capacity, Counter dropped, Counter written) {
    this.vertx = vertx;
    this.storage = storage;
    this.capacity = capacity;
    this.dropped = dropped;
    this.written = written;
  }

  public void start() {
    timer = vertx.setPeriodic(FLUSH_MS, id -> flush());
  }

  /** Queues the record of one decision; never throws, never waits. */
  public void record(Decision d, Principal p, String method, String path, String route, List<String> held) {
    if (queue.size() >= capacity) {
      drop(1, "the queue is full");
      return;
    }
    JsonObject r = new JsonObject().put("tenant", d.allowed() ? d.tenantId() : p.tenantId().orElse(""))
        .put("at", Instant.now().toString()).put("decision_id", d.decisionId())
        .put("subject", p.userId().map(s -> clean(s, 256)).orElse(null))
        .put("principal_kind", p.kind().name().toLowerCase(java.util.Locale.ROOT)).put("method", clean(method, 16))
        .put("path", clean(path, 2048)).put("route", route).put("required", strings(d.required(), 100, 256))
        .put("held", strings(held, 500, 256)).put("result", d.allowed() ? "allow" : "deny")
        .put("reasons", strings(d.reasons(), 50, 512)).put("token_ref", p.tokenRef().orElse(null))
        .put("actors", strings(p.actors().stream().map(dev.agentos.contract.Principal.Actor::sub).toList(), 16, 256));
    queue.add(r);
    if (queue.size() >= BATCH) flush();
  }

  /** How many records this recorder has dropped (a full queue, a failed write). */
  public long droppedCount() {
    return droppedCount;
  }

  /** Sends what is queued, one batch per call, within the in-flight bound. */
  public void flush() {
    while (!queue.isEmpty() && inFlight < IN_FLIGHT) {
      JsonArray batch = new JsonArray();
      while (!queue.isEmpty() && batch.size() < BATCH) batch.add(queue.poll());
      inFlight++;
      int size = batch.size();
      storage.request(new StorageRequest.DecisionsRecord(batch)).onComplete(ar -> {
        inFlight--;
        if (ar.succeeded()) {
          if (written != null) written.increment(size);
        } else {
          drop(size, "storage did not take them: " + ar.cause().getMessage());
        }
      });
    }
  }

  /** Cancels the timer and sends what is left (best effort: the verticle is stopping). */
  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    flush();
  }

  private void drop(int n, String why) {
    droppedCount += n;
    if (dropped != null) dropped.increment(n);
    long now = System.nanoTime();
    if (now - lastDropLogNanos > 10_000_000_000L || lastDropLogNanos == 0) {
      lastDropLogNanos = now;
      log.warn("dropped {} decision record(s) ({} in all): {}", n, droppedCount, why);
    }
  }

  private static JsonArray strings(List<String> values, int maxItems, int maxLength) {
    JsonArray out = new JsonArray();
    for (String v : values) {
      if (out.size() >= maxItems) break;
      out.add(clean(v, maxLength));
    }
    return out;
  }

  /** Without control characters or unpaired surrogates, at most {@code max} characters. */
  public static String clean(String s, int max) {
    if (s == null) return null;
    StringBuilder out = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && out.length() < max; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        if (out.length() + 2 > max) break;
        out.append(c).append(s.charAt(++i));
      } else if (!Character.isISOControl(c) && !Character.isSurrogate(c)) {
        out.append(c);
      }
    }
    return out.toString();
  }
}
