package dev.agentos.storage.impl;

import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * A bulkhead for large reads (a page of runs, a session's chat history): at most {@code permits} of them are in flight
 * on one storage instance, and the rest wait in arrival order, so their PostgreSQL work (megabytes of JSON) never
 * takes every connection and every core while point queries (a listing, an authorization's role snapshot) queue
 * behind it. Used from the storage verticle's event loop only, so it needs no locks.
 */
public final class PageLane {
  private final int permits;
  private final int maxWaiting;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int inFlight;

  public PageLane(int permits, int maxWaiting) {
    if (permits < 1 || maxWaiting < 0) throw new IllegalArgumentException("permits >= 1, maxWaiting >= 0");
    this.permits = permits;
    this.maxWaiting = maxWaiting;
  }

  /** Runs {@code read} now if a permit is free, else once one is; past {@code maxWaiting} waiting reads, 503. */
  public <T> Future<T> submit(Supplier<Future<T>> read) {
    if (inFlight < permits) return run(read);
    if (waiting.size() >= maxWaiting) {
      return Future.failedFuture(new StorageFailure(StorageApi.UNAVAILABLE, "Database unavailable"));
    }
    Promise<T> later = Promise.promise();
    waiting.add(() -> run(read).onComplete(later));
    return later.future();
  }

  /** Reads in flight now (for tests and metrics). */
  public int inFlight() {
    return inFlight;
  }

  public int waiting() {
    return waiting.size();
  }

  private <T> Future<T> run(Supplier<Future<T>> read) {
    inFlight++;
    Future<T> result;
    try {
      result = read.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.andThen(done -> {
      inFlight--;
      Runnable next = waiting.poll();
      if (next != null) next.run();
    });
  }
}
