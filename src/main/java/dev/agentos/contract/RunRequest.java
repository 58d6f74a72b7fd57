package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * {@link RuntimeApi#RUN}: run component {@code id} of {@code family} ({@code agents|teams|workflows}) in the owner's
 * session with {@code message}. With {@code eventsAddress}, each event is sent there as a {@link Document} as it
 * happens. {@code sessionState}, {@code dependencies} and {@code metadata} are the caller's JSON values (from the form
 * or the token's claims), stored with the run's input. {@code null} means absent; the runtime verticle refuses a request without family, id, owner,
 * session or message (400). Reply: a {@link Document} {@code {run: {...}}}.
 */
public record RunRequest(String family, String id, Owner owner, String sessionId, String message, String eventsAddress,
                         Object sessionState, Object dependencies, Object metadata) implements ContractMessage {

  /** Whether the fields the runtime needs are all there. */
  public boolean complete() {
    return family != null && id != null && owner != null && sessionId != null && message != null;
  }

  @Override
  public JsonObject toJson() {
    return Fields.withOwner(owner).put("family", family).put("id", id).put("session_id", sessionId).put("message", message)
        .put("events_address", eventsAddress).put("session_state", sessionState).put("dependencies", dependencies)
        .put("metadata", metadata);
  }

  public static RunRequest fromJson(JsonObject json) {
    if (json == null) throw new Malformed("empty run request");
    return new RunRequest(Fields.string(json, "family"), Fields.string(json, "id"), Fields.owner(json),
        Fields.string(json, "session_id"), Fields.string(json, "message"), Fields.string(json, "events_address"),
        json.getValue("session_state"), json.getValue("dependencies"), json.getValue("metadata"));
  }
}
