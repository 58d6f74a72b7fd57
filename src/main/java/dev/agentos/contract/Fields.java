package dev.agentos.contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Strict readers for the JSON form of contract messages: a field of the wrong type is {@link ContractMessage.Malformed}
 * (never coerced), an absent one is {@code null} or the given default. Whether a field is required is the
 * receiving verticle's rule, not the reader's, so that both JSON and typed senders get the same answer.
 */
final class Fields {
  private Fields() {}

  static String string(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null || v instanceof String) return (String) v;
    throw new ContractMessage.Malformed(field + " must be a string");
  }

  static int integer(JsonObject json, String field, int absent) {
    Object v = json.getValue(field);
    if (v == null) return absent;
    if (v instanceof Integer i) return i;
    if (v instanceof Long l && l == l.intValue()) return l.intValue();
    throw new ContractMessage.Malformed(field + " must be an integer");
  }

  static boolean bool(JsonObject json, String field, boolean absent) {
    Object v = json.getValue(field);
    if (v == null) return absent;
    if (v instanceof Boolean b) return b;
    throw new ContractMessage.Malformed(field + " must be a boolean");
  }

  static JsonObject object(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null || v instanceof JsonObject) return (JsonObject) v;
    throw new ContractMessage.Malformed(field + " must be an object");
  }

  static JsonArray array(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null || v instanceof JsonArray) return (JsonArray) v;
    throw new ContractMessage.Malformed(field + " must be a list");
  }

  /** A list of strings, or {@code null} when absent. */
  static List<String> strings(JsonObject json, String field) {
    JsonArray arr = array(json, field);
    if (arr == null) return null;
    List<String> out = new ArrayList<>(arr.size());
    for (Object o : arr) {
      if (!(o instanceof String s)) throw new ContractMessage.Malformed(field + " must hold strings");
      out.add(s);
    }
    return List.copyOf(out);
  }

  /** ISO 8601 with offset, or {@code null} when absent. */
  static OffsetDateTime time(JsonObject json, String field) {
    String v = string(json, field);
    if (v == null) return null;
    try {
      return OffsetDateTime.parse(v);
    } catch (DateTimeException e) {
      throw new ContractMessage.Malformed(field + " must be an ISO 8601 date-time with offset");
    }
  }

  static JsonObject putTime(JsonObject json, String field, OffsetDateTime time) {
    return json.put(field, time == null ? null : time.toString());
  }

  static JsonArray list(List<String> values) {
    return values == null ? null : new JsonArray(new ArrayList<>(values));
  }

  /** The owner, as the JSON form names it (absent → {@code null}: the receiver refuses the request). */
  static Owner owner(JsonObject json) {
    return json.containsKey(Owner.FIELD) ? Owner.fromJson(json) : null;
  }

  static JsonObject withOwner(Owner owner) {
    JsonObject json = new JsonObject();
    return owner == null ? json : owner.into(json);
  }

  /** The tenant a tenant-level request names ({@code "tenant"}); absent = the implicit tenant. */
  static String tenant(JsonObject json) {
    String t = string(json, Owner.TENANT_FIELD);
    return t == null ? Owner.IMPLICIT_TENANT : t;
  }

  static JsonObject putTenant(JsonObject json, String tenant) {
    if (tenant != null && !tenant.isEmpty()) json.put(Owner.TENANT_FIELD, tenant);
    return json;
  }
}
