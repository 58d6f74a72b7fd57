package dev.agentos.http.support;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Rules every input obeys before a route reads it, answered with agno's 422 list naming the field:
 * <ul>
 *   <li>no text holds a NUL or an unpaired surrogate (PostgreSQL text cannot store either: without this rule the
 *       database refuses the statement and the caller sees 503 "Database unavailable");</li>
 *   <li>caller-chosen ids ({@value #ID_RULE}) are made of letters, digits and {@code . _ : @ -}, start with a letter or
 *       digit, and are at most {@value #MAX_ID_LENGTH} characters, so every id that can be created can be addressed by
 *       its own routes (no {@code /}, {@code ?}, {@code %}, spaces, {@code ..}).</li>
 * </ul>
 */
public final class InputRules {
  static final int MAX_ID_LENGTH = 128;
  public static final String ID_RULE = "[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}";
  private static final Pattern ID = Pattern.compile(ID_RULE);
  /** Query parameters that name a caller-chosen id. */
  static final Set<String> ID_PARAMETERS = Set.of("session_id", "run_id", "memory_id", "component_id", "agent_id", "team_id",
      "workflow_id", "trace_id");

  private InputRules() {}

  /** The handler after the body step: query parameters and form fields. JSON bodies are checked where parsed. */
  public static void check(RoutingContext ctx) {
    MultiMap query = ctx.queryParams();
    for (Map.Entry<String, String> e : query.entries()) {
      text("query", e.getKey(), e.getKey());
      text("query", e.getKey(), e.getValue());
      if (ID_PARAMETERS.contains(e.getKey()) && !e.getValue().isEmpty()) id("query", e.getKey(), e.getValue());
    }
    if (ctx.request().isExpectMultipart() || isForm(ctx)) {
      for (Map.Entry<String, String> e : ctx.request().formAttributes().entries()) {
        text("body", e.getKey(), e.getKey());
        text("body", e.getKey(), e.getValue());
        if (ID_PARAMETERS.contains(e.getKey()) && !e.getValue().isEmpty()) id("body", e.getKey(), e.getValue());
      }
    }
    ctx.next();
  }

  private static boolean isForm(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    return type != null && (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data"));
  }

  /** Every string in a JSON body, member names included. */
  static void json(Object value, String field) {
    if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> e : object) {
        String name = field == null ? e.getKey() : field;
        text("body", name, e.getKey());
        json(e.getValue(), name);
      }
    } else if (value instanceof JsonArray array) {
      for (Object item : array) json(item, field);
    } else if (value instanceof String text) {
      text("body", field, text);
    }
  }

  /** A caller-chosen id: see the class comment. */
  public static String id(String location, String field, String value) {
    if (value.length() > MAX_ID_LENGTH) {
      throw new ValidationFailure(location, field, "String should have at most " + MAX_ID_LENGTH + " characters", "string_too_long");
    }
    if (!ID.matcher(value).matches()) {
      throw new ValidationFailure(location, field, "String should match pattern '" + ID_RULE + "'", "string_pattern_mismatch");
    }
    return value;
  }

  private static void text(String location, String field, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == 0) throw new ValidationFailure(location, field, "Input should not contain NUL characters", "string_type");
      if (Character.isHighSurrogate(c) && (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1)))
          || Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(value.charAt(i - 1)))) {
        throw new ValidationFailure(location, field, "Input should not contain unpaired surrogates", "string_type");
      }
    }
  }
}
