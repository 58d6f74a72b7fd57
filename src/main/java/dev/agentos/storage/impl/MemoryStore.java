package dev.agentos.storage.impl;

import dev.agentos.contract.Owner;
import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;

/** User memories. Every method takes the {@link Owner} first; see {@link Sql}. */
public final class MemoryStore {
  private final ScopedClient db;

  public MemoryStore(ScopedClient db) {
    this.db = db;
  }

  public Future<JsonObject> list(Owner owner, String agentId, String teamId, List<String> topics, String search,
                                 int page, int limit, String sortBy, boolean ascending) {
    long started = System.nanoTime();
    Tuple args = Tuple.of(owner.sqlValue(), agentId, teamId);
    args.addArrayOfString(topics == null || topics.isEmpty() ? null : topics.toArray(new String[0]));
    args.addString(Rows.likeLiteral(search)).addInteger(limit).addLong((long) (page - 1) * limit);
    return db.query(owner, Sql.listMemories(Sql.MEMORY_SORT.get(sortBy), ascending), args)
        .map(rows -> Rows.cappedPage(rows, "memory_id", MemoryStore::memory, page, limit, started));
  }

  public Future<JsonObject> get(Owner owner, String memoryId) {
    return db.query(owner, Sql.GET_MEMORY, Tuple.of(owner.sqlValue(), memoryId)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Memory with ID " + memoryId + " not found"))
        : Future.succeededFuture(memory(rows.iterator().next())));
  }

  /** The owner of the new memory is the owner itself; "everyone" cannot own a memory. */
  public Future<JsonObject> create(Owner owner, String memory, List<String> topics, String agentId, String teamId) {
    if (owner.isEveryone()) return Future.failedFuture(new StorageFailure(StorageApi.BAD_REQUEST, "User ID is required"));
    Tuple args = Tuple.of(owner.sqlValue(), UUID.randomUUID().toString(), memory);
    args.addArrayOfString(topics == null ? new String[0] : topics.toArray(new String[0])).addString(agentId).addString(teamId);
    return db.query(owner, Sql.CREATE_MEMORY, args).map(rows -> memory(rows.iterator().next()));
  }

  public Future<JsonObject> update(Owner owner, String memoryId, String memory, List<String> topics) {
    Tuple args = Tuple.of(owner.sqlValue(), memoryId, memory);
    args.addArrayOfString(topics == null ? null : topics.toArray(new String[0]));
    return db.query(owner, Sql.UPDATE_MEMORY, args).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Memory not found"))
        : Future.succeededFuture(memory(rows.iterator().next())));
  }

  public Future<JsonObject> delete(Owner owner, List<String> ids) {
    Tuple args = Tuple.of(owner.sqlValue());
    args.addArrayOfString(ids.toArray(new String[0]));
    return db.query(owner, Sql.DELETE_MEMORIES, args).map(rows -> new JsonObject().put("deleted", rows.rowCount()));
  }

  public Future<JsonArray> topics(Owner owner) {
    return db.query(owner, Sql.MEMORY_TOPICS, Tuple.of(owner.sqlValue())).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) out.add(r.getString("topic"));
      return out;
    });
  }

  public Future<JsonObject> stats(Owner owner, int page, int limit) {
    long started = System.nanoTime();
    return db.query(owner, Sql.USER_MEMORY_STATS, Tuple.of(owner.sqlValue(), limit, (long) (page - 1) * limit))
        .map(rows -> {
          JsonArray data = new JsonArray();
          for (Row r : rows) {
            data.add(new JsonObject().put("user_id", r.getString("user_id")).put("total_memories", r.getLong("total_memories"))
                .put("last_memory_updated_at", Rows.time(r, "last_memory_updated_at")));
          }
          return Rows.page(data, Rows.total(rows), page, limit, started);
        });
  }

  private static JsonObject memory(Row r) {
    return new JsonObject().put("memory_id", r.getString("memory_id")).put("memory", r.getString("memory"))
        .put("topics", Rows.strings(r, "topics")).put("agent_id", r.getString("agent_id")).put("team_id", r.getString("team_id"))
        .put("user_id", r.getString("user_id")).put("created_at", Rows.time(r, "created_at"))
        .put("updated_at", Rows.time(r, "updated_at"));
  }
}
