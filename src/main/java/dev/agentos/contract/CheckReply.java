package dev.agentos.contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The answer to {@link CheckRequest}. JSON: {@code {allowed, decision_id, reasons[]}}. */
public record CheckReply(boolean allowed, String decisionId, List<String> reasons) implements ContractMessage {
  public CheckReply {
    decisionId = decisionId == null ? "" : decisionId;
    reasons = List.copyOf(reasons);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("allowed", allowed).put("decision_id", decisionId).put("reasons", new JsonArray(reasons));
  }

  public static CheckReply fromJson(JsonObject json) {
    if (json == null) throw new IllegalArgumentException("empty reply");
    JsonArray reasons = json.getJsonArray("reasons", new JsonArray());
    return new CheckReply(Boolean.TRUE.equals(json.getValue("allowed")), json.getString("decision_id", ""),
        reasons.stream().map(String::valueOf).toList());
  }
}
