package dev.agentos.storage.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The large-read lane: a bounded number in flight, the rest in order, never unbounded")
class PageLaneTest {
  private final List<String> started = new ArrayList<>();
  private final List<Promise<String>> open = new ArrayList<>();

  private java.util.function.Supplier<Future<String>> read(String name) {
    return () -> {
      started.add(name);
      Promise<String> p = Promise.promise();
      open.add(p);
      return p.future();
    };
  }

  @Test
  @DisplayName("at most the permits run at once; the others start in arrival order as each one finishes")
  void boundedAndInOrder() {
    PageLane lane = new PageLane(2, 10);
    List<Future<String>> results = new ArrayList<>();
    for (String name : List.of("a", "b", "c", "d")) results.add(lane.submit(read(name)));
    assertThat(started).containsExactly("a", "b");
    assertThat(lane.inFlight()).isEqualTo(2);
    assertThat(lane.waiting()).isEqualTo(2);
    open.get(1).complete("b done");
    assertThat(started).containsExactly("a", "b", "c");
    open.get(0).fail("a failed");
    assertThat(started).containsExactly("a", "b", "c", "d");
    open.get(2).complete("c done");
    open.get(3).complete("d done");
    assertThat(results.get(0).failed()).isTrue();
    assertThat(results.get(2).result()).isEqualTo("c done");
    assertThat(results.get(3).result()).isEqualTo("d done");
    assertThat(lane.inFlight()).isZero();
    assertThat(lane.waiting()).isZero();
  }

  @Test
  @DisplayName("past the waiting bound a read is refused at once as unavailable (503), not queued")
  void boundedQueue() {
    PageLane lane = new PageLane(1, 1);
    lane.submit(read("a"));
    lane.submit(read("b"));
    Future<String> refused = lane.submit(read("c"));
    assertThat(refused.failed()).isTrue();
    assertThat(refused.cause()).isInstanceOf(StorageFailure.class);
    assertThat(((StorageFailure) refused.cause()).code()).isEqualTo(503);
    assertThat(started).containsExactly("a");
  }

  @Test
  @DisplayName("a read that throws fails its own request and frees its permit")
  void throwingReadFreesItsPermit() {
    PageLane lane = new PageLane(1, 5);
    Future<String> thrown = lane.submit(() -> {
      throw new StorageFailure(400, "page must be at least 1");
    });
    assertThat(thrown.failed()).isTrue();
    assertThat(lane.inFlight()).isZero();
    lane.submit(read("next"));
    assertThat(started).containsExactly("next");
  }
}
