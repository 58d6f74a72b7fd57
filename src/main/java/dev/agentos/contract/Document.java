package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * A reply that is an agno-shaped JSON document (a session, a page of memories, a stored run, a run event): the storage
 * and runtime verticles' answers, which the HTTP layer writes out as they are. The verticle that builds one does not
 * touch it after sending, so in one JVM it is passed by reference. JSON form: the document itself.
 */
public record Document(JsonObject json) implements ContractMessage {
  public Document {
    if (json == null) throw new IllegalArgumentException("a document");
  }

  @Override
  public JsonObject toJson() {
    return json;
  }

  public static Document fromJson(JsonObject json) {
    if (json == null) throw new Malformed("empty document");
    return new Document(json);
  }
}
