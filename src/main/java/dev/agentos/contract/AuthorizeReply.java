package dev.agentos.contract;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * The answer to {@link AuthorizeRequest}: the decision and, for an allowed sealed write that asked for one, its
 * seal ({@link DecisionSeal#toJson()}). JSON: the decision's fields plus {@code seal?}.
 */
public record AuthorizeReply(Decision decision, Optional<JsonObject> seal) implements ContractMessage {
  public AuthorizeReply {
    if (decision == null) throw new IllegalArgumentException("decision");
    seal = seal == null ? Optional.empty() : seal.map(JsonObject::copy);
  }

  public static AuthorizeReply of(Decision decision) {
    return new AuthorizeReply(decision, Optional.empty());
  }

  @Override
  public JsonObject toJson() {
    JsonObject json = decision.toJson();
    seal.ifPresent(s -> json.put("seal", s.copy()));
    return json;
  }

  public static AuthorizeReply fromJson(JsonObject json) {
    if (json == null) throw new IllegalArgumentException("empty reply");
    Object seal = json.getValue("seal");
    return new AuthorizeReply(Decision.fromJson(json), Optional.ofNullable(seal instanceof JsonObject s ? s : null));
  }
}
