package dev.agentos.contract;

/**
 * The runtime verticle's event-bus contract. {@link #RUN} takes a {@link RunRequest} and answers a {@link Document}
 * {@code {run: {run_id, session_id, user_id, agent_id|team_id|workflow_id, status, content, events[], ...}}}; a
 * {@link RunCancel} published on {@link #CANCEL} stops a matching in-flight run. With an events address, each
 * {@link RunEvent} ({@code RunStarted}, {@code RunContent}..., then one of {@code RunCompleted}, {@code RunError},
 * {@code RunCancelled}, the last) is sent there as it happens. The run, its session (checked and created before the
 * model is called) and its trace are written through the storage verticle before the reply. Failures: 404 unknown
 * component, or a session of another owner or component; 502/504 model provider error/timeout (the run is stored as
 * errored); 503 storage; 400 malformed; 501 unknown action. A run in flight also answers {@link RunResume} at
 * {@link #runAddress(String)}: its events so far, then the live ones, to the resume's events address.
 */
public final class RuntimeApi {
  private RuntimeApi() {}

  public static final String ADDRESS = "agentos.runtime.v1";
  public static final String ACTION_HEADER = "action";
  public static final String RUN = "run";
  /** Published to every runtime verticle: stop the named in-flight run. */
  public static final String CANCEL = "agentos.runtime.v1.cancel";

  /**
   * Where the runtime verticle running {@code runId} takes {@link RunResume} requests, from the run's start until it is
   * stored (so a resume finds the run in flight, or stored; never neither). {@code NO_HANDLERS}: not in flight.
   */
  public static String runAddress(String runId) {
    return ADDRESS + ".run." + runId;
  }

  public static final int NOT_FOUND = Failures.NOT_FOUND;
  public static final int UNAVAILABLE = Failures.UNAVAILABLE;
  public static final int BAD_REQUEST = Failures.BAD_REQUEST;
  public static final int UNKNOWN_ACTION = Failures.UNKNOWN_ACTION;
}
