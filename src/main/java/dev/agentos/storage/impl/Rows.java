package dev.agentos.storage.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.OffsetDateTime;

/** Row → JSON helpers shared by the stores. */
final class Rows {
  private Rows() {}

  static String time(Row row, String column) {
    OffsetDateTime t = row.getOffsetDateTime(column);
    return t == null ? null : t.toInstant().toString();
  }

  static Object json(Row row, String column) {
    Object v = row.getValue(column);
    return v;
  }

  static JsonArray strings(Row row, String column) {
    String[] values = row.getArrayOfStrings(column);
    JsonArray out = new JsonArray();
    if (values != null) for (String v : values) out.add(v);
    return out;
  }

  /** agno's PaginatedResponse: {data, meta: {page, limit, total_pages, total_count, search_time_ms}}. */
  static JsonObject page(JsonArray data, long total, int page, int limit, long startedNanos) {
    long pages = limit == 0 ? 0 : (total + limit - 1) / limit;
    return new JsonObject().put("data", data).put("meta", new JsonObject().put("page", page).put("limit", limit)
        .put("total_pages", pages).put("total_count", total)
        .put("search_time_ms", Math.round((System.nanoTime() - startedNanos) / 10_000.0) / 100.0));
  }

  /**
   * A page read with {@link Sql#pageWithCount}: its rows are those with an {@code idColumn}, and its count is exact up
   * to {@link Sql#COUNT_CAP}; beyond, {@code total_count} is the cap and {@code meta.total_count_exact} is false.
   */
  static JsonObject cappedPage(RowSet<Row> rows, String idColumn, java.util.function.Function<Row, JsonObject> toJson,
                               int page, int limit, long startedNanos) {
    JsonArray data = new JsonArray();
    long counted = 0;
    for (Row r : rows) {
      counted = r.getLong("total");
      if (r.getValue(idColumn) != null) data.add(toJson.apply(r));
    }
    boolean exact = counted <= Sql.COUNT_CAP;
    JsonObject out = page(data, Math.min(counted, Sql.COUNT_CAP), page, limit, startedNanos);
    out.getJsonObject("meta").put("total_count_exact", exact);
    return out;
  }

  static long total(RowSet<Row> rows) {
    for (Row r : rows) return r.getLong("total");
    return 0;
  }

  /** Escapes LIKE wildcards so a client's search text matches literally (the statements use ESCAPE '\'). */
  static String likeLiteral(String s) {
    return s == null ? null : s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
