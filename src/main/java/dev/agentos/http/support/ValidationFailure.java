package dev.agentos.http.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A 422 in agno's (pydantic's) shape: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}. */
public final class ValidationFailure extends RuntimeException {
  private final JsonArray errors;

  public ValidationFailure(String where, String field, String msg, String type) {
    super(msg, null, false, false);
    this.errors = new JsonArray().add(new JsonObject().put("loc", field == null ? new JsonArray().add(where)
        : new JsonArray().add(where).add(field)).put("msg", msg).put("type", type));
  }

  public JsonArray errors() {
    return errors;
  }
}
