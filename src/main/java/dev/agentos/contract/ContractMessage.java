package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * A typed, immutable event-bus message of the contract ({@link Contract}). In one JVM it travels by reference
 * through its {@link ContractCodec}; between nodes as its JSON form ({@link #toJson()}), wrapped with the contract
 * version. Each type also has a static {@code fromJson(JsonObject)}, the inverse, that throws
 * {@link IllegalArgumentException} on a malformed message.
 */
public interface ContractMessage {
  JsonObject toJson();
}
