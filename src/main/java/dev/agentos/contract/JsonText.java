package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * A reply that is a JSON document already written as text (a page of a session's runs, built by PostgreSQL): the HTTP
 * layer writes it out as it is, so a large page is never parsed into objects and encoded again. JSON form:
 * {@code {"json": "<the text>"}}.
 */
public record JsonText(String json) implements ContractMessage {
  public JsonText {
    if (json == null) throw new IllegalArgumentException("a JSON text");
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("json", json);
  }

  public static JsonText fromJson(JsonObject json) {
    if (json == null || !(json.getValue("json") instanceof String text)) throw new Malformed("a JSON text needs its text");
    return new JsonText(text);
  }
}
