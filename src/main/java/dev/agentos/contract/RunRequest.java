package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * {@link RuntimeApi#RUN}: run component {@code id} of {@code family} ({@code agents|teams|workflows}) in the owner's
 * session with {@code message}. With {@code eventsAddress}, each event is sent there as a {@link Document} as it
 * happens. {@code sessionState}, {@code dependencies} and {@code metadata} are the caller's JSON values (from the form
 * or the token's claims), stored with the run's input; {@code actors} the delegated token's chain the run is made
 * through (stored with the run and on its trace). {@code null} means absent; the runtime verticle refuses a request without family, id, owner,
 * session or message (400). Reply: a {@link Document} {@code {run: {...}}}.
 */
public record RunRequest(String family, String id, Owner owner, String sessionId, String message, String eventsAddress,
                         Object sessionState, Object dependencies, Object metadata, java.util.List<Principal.Actor> actors)
    implements ContractMessage {

  public RunRequest {
    actors = actors == null ? java.util.List.of() : java.util.List.copyOf(actors);
  }

  /** A run the caller makes itself (no actor chain). */
  public RunRequest(String family, String id, Owner owner, String sessionId, String message, String eventsAddress,
                    Object sessionState, Object dependencies, Object metadata) {
    this(family, id, owner, sessionId, message, eventsAddress, sessionState, dependencies, metadata, java.util.List.of());
  }

  /** The same run, its events sent to {@code address} as they happen. */
  public RunRequest streamedTo(String address) {
    return new RunRequest(family, id, owner, sessionId, message, address, sessionState, dependencies, metadata, actors);
  }

  /** Whether the fields the runtime needs are all there. */
  public boolean complete() {
    return family != null && id != null && owner != null && sessionId != null && message != null;
  }

  @Override
  public JsonObject toJson() {
    return Fields.withOwner(owner).put("family", family).put("id", id).put("session_id", sessionId).put("message", message)
        .put("events_address", eventsAddress).put("session_state", sessionState).put("dependencies", dependencies)
        .put("metadata", metadata)
        .put("actors", actors.isEmpty() ? null : new io.vertx.core.json.JsonArray(actors.stream().map(Principal.Actor::toJson).toList()));
  }

  public static RunRequest fromJson(JsonObject json) {
    if (json == null) throw new Malformed("empty run request");
    return new RunRequest(Fields.string(json, "family"), Fields.string(json, "id"), Fields.owner(json),
        Fields.string(json, "session_id"), Fields.string(json, "message"), Fields.string(json, "events_address"),
        json.getValue("session_state"), json.getValue("dependencies"), json.getValue("metadata"), actors(json.getValue("actors")));
  }

  private static java.util.List<Principal.Actor> actors(Object value) {
    if (value == null) return java.util.List.of();
    if (!(value instanceof io.vertx.core.json.JsonArray array)) throw new Malformed("actors is a list");
    java.util.List<Principal.Actor> out = new java.util.ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof JsonObject a)) throw new Malformed("an actor is an object");
      out.add(Principal.Actor.fromJson(a));
    }
    return out;
  }
}
