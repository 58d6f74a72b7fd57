package dev.agentos.runtime;

/**
 * The runtime verticle's event-bus contract.
 *
 * <pre>
 * run {family: agents|teams|workflows, id, owner (user id or null), session_id, message,
 *      session_state?, dependencies?, metadata?}
 *   → {run: {run_id, session_id, user_id, agent_id|team_id|workflow_id, status, content, events[], ...}}
 * </pre>
 * The run, its session (created when new) and its trace are written through the storage verticle before
 * the reply. Failures: 404 unknown component or a session of another owner or component, 503 storage.
 */
public final class RuntimeApi {
  private RuntimeApi() {}

  public static final String ADDRESS = "agentos.runtime.v1";
  public static final String ACTION_HEADER = "action";
  public static final String RUN = "run";

  public static final int NOT_FOUND = 404;
  public static final int UNAVAILABLE = 503;
  public static final int BAD_REQUEST = 400;
}
