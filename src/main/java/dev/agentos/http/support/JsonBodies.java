package dev.agentos.http.support;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reading a request's JSON object body (anything else is agno's 422, never a 500) and writing JSON responses. */
public final class JsonBodies {
  private JsonBodies() {}

  public static JsonObject object(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) throw new ValidationFailure("body", null, "Field required", "missing");
    try {
      if (io.vertx.core.json.Json.decodeValue(text) instanceof JsonObject obj) {
        InputRules.json(obj, null);
        return obj;
      }
    } catch (DecodeException | IllegalStateException e) {
      throw new ValidationFailure("body", null, "JSON decode error", "json_invalid");
    }
    throw new ValidationFailure("body", null, "Input should be a valid dictionary", "dict_type");
  }

  public static void respondArray(RoutingContext ctx, int status, io.vertx.core.json.JsonArray body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  /** A JSON document that is already text (a page PostgreSQL wrote), written out as it is. */
  public static void respondText(RoutingContext ctx, int status, String json) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json);
  }

  public static void respond(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }
}
