package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * A typed, immutable event-bus message of the contract ({@link Contract}). In one JVM it travels by reference
 * through its {@link ContractCodec}; between nodes as its JSON form ({@link #toJson()}), wrapped with the contract
 * version. Each type also has a static {@code fromJson(JsonObject)}, the inverse, that throws
 * {@link IllegalArgumentException} ({@link Malformed} with a message fit for the sender) on a malformed message.
 *
 * <p>Fields that hold a {@code JsonObject} or {@code JsonArray} carry user documents the contract does not
 * interpret (a session's state, a run, a trace's spans): the sender builds them for the message and does not touch
 * them after sending, which is what makes passing them by reference safe.
 */
public interface ContractMessage {
  JsonObject toJson();

  /** A message that does not have the shape of its type; the message says what is wrong, for the sender. */
  final class Malformed extends IllegalArgumentException {
    public Malformed(String message) {
      super(message);
    }
  }
}
