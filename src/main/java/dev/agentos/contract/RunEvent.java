package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * One event of a run ({@code RunStarted}, {@code RunContent}..., then one terminal {@code RunCompleted}, {@code RunError}
 * or {@code RunCancelled}, which is {@code last}), sent to a {@link RunRequest}'s events address as it happens. The
 * event is agno's document, written out as an SSE frame; the run also keeps it in its stored event log, so neither
 * side changes it. JSON form: the event, with {@code final: true} on the last one.
 */
public record RunEvent(JsonObject event, boolean last) implements ContractMessage {
  public RunEvent {
    if (event == null) throw new IllegalArgumentException("an event");
  }

  @Override
  public JsonObject toJson() {
    return last ? event.copy().put("final", true) : event;
  }

  public static RunEvent fromJson(JsonObject json) {
    if (json == null) throw new Malformed("empty run event");
    boolean last = Boolean.TRUE.equals(json.getValue("final"));
    JsonObject event = json.copy();
    event.remove("final");
    return new RunEvent(event, last);
  }
}
