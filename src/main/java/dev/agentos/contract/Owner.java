package dev.agentos.contract;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Whose rows a storage operation may touch: one user, or (only from an explicit unscoped decision: an
 * admin, isolation off, a security-key root) every user. Every storage request on user data carries one, every
 * method on an owned table takes one, and a request that does not say is refused ({@link #fromJson}), never read
 * as "everyone".
 */
public record Owner(Optional<String> userId) {
  public static final String FIELD = "owner";

  public Owner {
    userId = userId == null ? Optional.empty() : userId;
  }

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

  /** The owner a message names; a message without the field is malformed (never read as "everyone"). */
  public static Owner fromJson(JsonObject message) {
    if (message == null || !message.containsKey(FIELD)) {
      throw new ContractMessage.Malformed("storage request without an owner");
    }
    Object v = message.getValue(FIELD);
    if (v == null) return everyone();
    if (!(v instanceof String s) || s.isEmpty()) throw new ContractMessage.Malformed("malformed owner");
    return user(s);
  }
}
