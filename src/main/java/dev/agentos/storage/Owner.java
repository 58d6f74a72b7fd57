package dev.agentos.storage;

import dev.agentos.contract.StorageApi;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Whose rows a storage operation may touch: one user, or (only from an explicit unscoped decision: an
 * admin, isolation off, a security-key root) every user. Every method on an owned table takes one, and the
 * event-bus contract refuses a request that does not say ({@link #fromMessage}).
 */
public record Owner(Optional<String> userId) {
  public static final String FIELD = "owner";

  public static Owner user(String userId) {
    if (userId == null || userId.isEmpty()) throw new IllegalArgumentException("owner user id");
    return new Owner(Optional.of(userId));
  }

  /** Every owner's rows: only for callers the policy decided are unscoped. */
  public static Owner everyone() {
    return new Owner(Optional.empty());
  }

  public boolean isEveryone() {
    return userId.isEmpty();
  }

  /** The value bound as $1 in every owned statement (NULL = every owner). */
  public String sqlValue() {
    return userId.orElse(null);
  }

  public JsonObject into(JsonObject message) {
    return message.put(FIELD, userId.orElse(null));
  }

  /** The owner a request names; a request without the field is malformed (never read as "everyone"). */
  public static Owner fromMessage(JsonObject message) {
    if (message == null || !message.containsKey(FIELD)) {
      throw new StorageFailure(StorageApi.BAD_REQUEST, "storage request without an owner");
    }
    Object v = message.getValue(FIELD);
    if (v == null) return everyone();
    if (!(v instanceof String s) || s.isEmpty()) throw new StorageFailure(StorageApi.BAD_REQUEST, "malformed owner");
    return user(s);
  }
}
