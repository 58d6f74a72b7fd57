package dev.agentos.contract;

/**
 * The runtime verticle's event-bus contract.
 *
 * <pre>
 * run {family: agents|teams|workflows, id, owner (user id or null), session_id, message, events_address?,
 *      session_state?, dependencies?, metadata?}
 *   → {run: {run_id, session_id, user_id, agent_id|team_id|workflow_id, status, content, events[], ...}}
 * cancel (published on {@link #CANCEL}) {run_id, family, id, owner (null = unscoped), session_id}
 * </pre>
 * With {@code events_address}, each event ({@code RunStarted}, {@code RunContent}..., then one of
 * {@code RunCompleted}, {@code RunError}, {@code RunCancelled} carrying {@code final: true}) is sent there
 * as it happens. The run, its session (checked and created before the model is called) and its trace are
 * written through the storage verticle before the reply. Failures: 404 unknown component, or a session of
 * another owner or component; 502/504 model provider error/timeout (the run is stored as errored); 503
 * storage.
 */
public final class RuntimeApi {
  private RuntimeApi() {}

  public static final String ADDRESS = "agentos.runtime.v1";
  public static final String ACTION_HEADER = "action";
  public static final String RUN = "run";
  /** Published to every runtime verticle: stop the named in-flight run. */
  public static final String CANCEL = "agentos.runtime.v1.cancel";

  public static final int NOT_FOUND = Failures.NOT_FOUND;
  public static final int UNAVAILABLE = Failures.UNAVAILABLE;
  public static final int BAD_REQUEST = Failures.BAD_REQUEST;
  public static final int UNKNOWN_ACTION = Failures.UNKNOWN_ACTION;
}
