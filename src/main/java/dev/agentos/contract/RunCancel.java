package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * Published on {@link RuntimeApi#CANCEL}: stop in-flight run {@code runId} of component {@code id} of {@code family},
 * if its owner and session match; an everyone {@link Owner} (an unscoped caller) matches any owner and session.
 */
public record RunCancel(String runId, String family, String id, Owner owner, String sessionId) implements ContractMessage {
  @Override
  public JsonObject toJson() {
    return Fields.withOwner(owner).put("run_id", runId).put("family", family).put("id", id).put("session_id", sessionId);
  }

  public static RunCancel fromJson(JsonObject json) {
    if (json == null) throw new Malformed("empty cancel notice");
    return new RunCancel(Fields.string(json, "run_id"), Fields.string(json, "family"), Fields.string(json, "id"),
        Fields.owner(json), Fields.string(json, "session_id"));
  }
}
