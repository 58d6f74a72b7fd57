package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * Sent to {@link RuntimeApi#runAddress(String)} (only the runtime verticle running that run answers there): send the
 * run's events after {@code lastEventIndex} ({@code -1}: all of them) to {@code eventsAddress}, then its live events
 * until the terminal one, if {@code owner} may see the run (the cancel rule: its own run of this component and session,
 * or, for an everyone owner, any run of its tenant). A run it may not see is a {@link RuntimeApi#NOT_FOUND}.
 */
public record RunResume(String runId, String family, String id, Owner owner, String sessionId, int lastEventIndex,
                        String eventsAddress) implements ContractMessage {
  @Override
  public JsonObject toJson() {
    return Fields.withOwner(owner).put("run_id", runId).put("family", family).put("id", id).put("session_id", sessionId)
        .put("last_event_index", lastEventIndex).put("events_address", eventsAddress);
  }

  public static RunResume fromJson(JsonObject json) {
    if (json == null) throw new Malformed("empty resume request");
    return new RunResume(Fields.string(json, "run_id"), Fields.string(json, "family"), Fields.string(json, "id"),
        Fields.owner(json), Fields.string(json, "session_id"), Fields.integer(json, "last_event_index", -1),
        Fields.string(json, "events_address"));
  }
}
