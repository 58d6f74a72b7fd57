package dev.agentos.storage;

import dev.agentos.contract.StorageApi;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The filter language of {@code POST /traces/search}, compiled to a parameterised SQL condition.
 *
 * <pre>
 * filter := {"field": F, "op": OP, "value": V} | {"and": [filter, ...]} | {"or": [filter, ...]} | {"not": filter}
 * OP     := eq | neq | gt | gte | lt | lte | in | contains
 * </pre>
 * Fields and their operators are listed by {@link #schema()} ({@code GET /traces/filter-schema}). Column names
 * come only from that list, values are always bound parameters, and nesting and size are bounded, so a filter
 * can neither inject SQL nor make an unbounded query. Ownership is not part of the filter: the statement always
 * adds the owner condition (see {@code Sql.searchTraces}).
 */
public final class TraceFilter {
  public static final int MAX_DEPTH = 8;
  public static final int MAX_CONDITIONS = 50;
  public static final int MAX_IN_VALUES = 100;

  private enum Kind { TEXT, TIME, STATUS }

  private record Field(String column, Kind kind, List<String> ops) {}

  private static final List<String> TEXT_OPS = List.of("eq", "neq", "in", "contains");
  private static final List<String> ORDER_OPS = List.of("eq", "neq", "gt", "gte", "lt", "lte");
  private static final Map<String, Field> FIELDS = new LinkedHashMap<>();

  static {
    FIELDS.put("trace_id", new Field("t.trace_id", Kind.TEXT, TEXT_OPS));
    FIELDS.put("name", new Field("t.name", Kind.TEXT, TEXT_OPS));
    FIELDS.put("status", new Field("t.status", Kind.STATUS, List.of("eq", "neq", "in")));
    FIELDS.put("run_id", new Field("t.run_id", Kind.TEXT, TEXT_OPS));
    FIELDS.put("session_id", new Field("t.session_id", Kind.TEXT, TEXT_OPS));
    FIELDS.put("agent_id", new Field("CASE WHEN t.component_type = 'agent' THEN t.component_id END", Kind.TEXT, TEXT_OPS));
    FIELDS.put("team_id", new Field("CASE WHEN t.component_type = 'team' THEN t.component_id END", Kind.TEXT, TEXT_OPS));
    FIELDS.put("workflow_id", new Field("CASE WHEN t.component_type = 'workflow' THEN t.component_id END", Kind.TEXT, TEXT_OPS));
    FIELDS.put("start_time", new Field("t.start_time", Kind.TIME, ORDER_OPS));
    FIELDS.put("end_time", new Field("t.end_time", Kind.TIME, ORDER_OPS));
  }

  /** A compiled condition: SQL with {@code $n} placeholders numbered from {@code firstParam}, and their values. */
  public record Compiled(String sql, List<Object> params) {}

  private final List<Object> params = new ArrayList<>();
  private final int firstParam;
  private int conditions;

  private TraceFilter(int firstParam) {
    this.firstParam = firstParam;
  }

  /** Throws {@link StorageFailure} 422 with a message naming the problem. A null filter matches everything. */
  public static Compiled compile(Object filter, int firstParam) {
    if (filter == null) return new Compiled("TRUE", List.of());
    TraceFilter c = new TraceFilter(firstParam);
    String sql = c.node(filter, 0, "filter");
    return new Compiled(sql, List.copyOf(c.params));
  }

  public static JsonObject schema() {
    JsonArray fields = new JsonArray();
    FIELDS.forEach((name, f) -> fields.add(new JsonObject().put("name", name)
        .put("type", f.kind == Kind.TIME ? "datetime" : f.kind == Kind.STATUS ? "enum" : "string")
        .put("operators", new JsonArray(f.ops))
        .put("values", f.kind == Kind.STATUS ? new JsonArray().add("OK").add("ERROR") : null)));
    return new JsonObject().put("fields", fields)
        .put("logical_operators", new JsonArray().add("and").add("or").add("not"))
        .put("group_by", new JsonArray().add("run").add("session"));
  }

  private String node(Object n, int depth, String where) {
    if (depth > MAX_DEPTH) throw invalid(where, "nested deeper than " + MAX_DEPTH);
    if (!(n instanceof JsonObject obj)) throw invalid(where, "must be an object");
    if (++conditions > MAX_CONDITIONS) throw invalid(where, "more than " + MAX_CONDITIONS + " conditions");
    if (obj.size() == 1 && (obj.containsKey("and") || obj.containsKey("or"))) {
      String op = obj.containsKey("and") ? "and" : "or";
      if (!(obj.getValue(op) instanceof JsonArray list) || list.isEmpty()) throw invalid(where + "." + op, "must be a non-empty list");
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) parts.add(node(list.getValue(i), depth + 1, where + "." + op + "[" + i + "]"));
      return "(" + String.join(op.equals("and") ? " AND " : " OR ", parts) + ")";
    }
    if (obj.size() == 1 && obj.containsKey("not")) {
      return "(NOT COALESCE(" + node(obj.getValue("not"), depth + 1, where + ".not") + ", FALSE))";
    }
    Object fieldName = obj.getValue("field");
    Object op = obj.getValue("op");
    if (!(fieldName instanceof String fname) || !FIELDS.containsKey(fname)) throw invalid(where + ".field", "unknown field");
    Field field = FIELDS.get(fname);
    if (!(op instanceof String o) || !field.ops.contains(o)) throw invalid(where + ".op", "operator not allowed for " + fname);
    if (obj.size() != 3 || !obj.containsKey("value")) throw invalid(where, "expects exactly field, op and value");
    Object value = obj.getValue("value");
    if (o.equals("in")) {
      if (!(value instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_IN_VALUES) {
        throw invalid(where + ".value", "must be a list of 1 to " + MAX_IN_VALUES + " values");
      }
      List<String> ps = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) ps.add(bind(field, list.getValue(i), where + ".value[" + i + "]"));
      return field.column + " IN (" + String.join(", ", ps) + ")";
    }
    if (o.equals("contains")) {
      if (!(value instanceof String s)) throw invalid(where + ".value", "must be a string");
      params.add("%" + s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
      return field.column + " ILIKE " + placeholder() + " ESCAPE '\\'";
    }
    String sqlOp = switch (o) {
      case "eq" -> "=";
      case "neq" -> "<>";
      case "gt" -> ">";
      case "gte" -> ">=";
      case "lt" -> "<";
      default -> "<=";
    };
    String p = bind(field, value, where + ".value");
    return o.equals("neq") ? "(" + field.column + " IS DISTINCT FROM " + p + ")" : field.column + " " + sqlOp + " " + p;
  }

  private String bind(Field field, Object value, String where) {
    if (!(value instanceof String s)) throw invalid(where, "must be a string");
    switch (field.kind) {
      case TIME -> {
        try {
          params.add(OffsetDateTime.parse(s));
        } catch (DateTimeParseException e) {
          throw invalid(where, "must be an ISO 8601 date-time with offset");
        }
        return placeholder() + "::timestamptz";
      }
      case STATUS -> {
        if (!s.equals("OK") && !s.equals("ERROR")) throw invalid(where, "must be OK or ERROR");
        params.add(s);
        return placeholder() + "::text";
      }
      default -> {
        params.add(s);
        return placeholder() + "::text";
      }
    }
  }

  private String placeholder() {
    return "$" + (firstParam + params.size() - 1);
  }

  private static StorageFailure invalid(String where, String problem) {
    return new StorageFailure(StorageApi.INVALID, where + ": " + problem);
  }
}
