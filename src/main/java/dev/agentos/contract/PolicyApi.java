package dev.agentos.contract;

/**
 * The policy verticle's event-bus contract, versioned in the address. Requests carry the action in the
 * {@value #ACTION_HEADER} header; bodies and replies are JSON. Failures travel as
 * {@link io.vertx.core.eventbus.ReplyException} with one of the failure codes below.
 *
 * <pre>
 * authorize {principal | token, method, path}
 *   → {allowed, required[], accessible_ids[]|null, scoped_user_id|null, admin, decision_id, reasons[], detail}
 * check     {principal | token, action: "agents:run", resource_id?}
 *   → {allowed, decision_id, reasons[]}       (a token is verified exactly as on the HTTP path; one that
 *                                              fails verification, or an unknown action, is a deny)
 * ping      {} → {ok: true}
 * </pre>
 * {@code principal} is {@link dev.agentos.contract.Principal#toJson()}.
 */
public final class PolicyApi {
  private PolicyApi() {}

  public static final String ADDRESS = "agentos.policy.v1";

  /**
   * A policy verticle instance also answers, node-locally, on an address named after its event loop thread. A
   * caller on that same thread (an HTTP verticle instance sharing the loop) asks there first: no hand-off to
   * another thread and back, which on a busy machine is most of a local round trip (docs/benchmarks.md). Both
   * sides derive the name from their own thread; nothing is shared. No handler there: the caller uses
   * {@link #ADDRESS}.
   */
  public static String coLocatedAddress(String eventLoopThread) {
    return ADDRESS + ".loop." + eventLoopThread;
  }
  public static final String ACTION_HEADER = "action";

  public static final String AUTHORIZE = "authorize";
  public static final String CHECK = "check";
  public static final String PING = "ping";

  /**
   * Role writes go through the verticle that owns roles: it performs them in storage (with the request's seal),
   * then announces {@link #ROLES_CHANGED}. Bodies and replies are those of the storage actions of the same name.
   */
  public static final String ROLES_PUT = "roles.put";
  public static final String ROLES_DELETE = "roles.delete";
  public static final String ROLES_ASSIGN = "roles.assign";
  /** A change to the users directory (the {@code disabled} kill switch among them): announced as a role change is. */
  public static final String USERS_UPDATE = "users.update";
  /** A user's consent to a service account acting for them: announced as a role change is. */
  public static final String CONSENTS_PUT = "consents.put";

  /**
   * Published (to every node) after a managed role, a subject's roles or a user of the users directory change; body empty. Every policy
   * verticle reloads its role directory at once (and every {@link #ROLES_RELOAD_SECONDS} anyway).
   */
  public static final String ROLES_CHANGED = "agentos.policy.v1.roles-changed";
  /** Periodic reload: bounds staleness when a change notice is lost. */
  public static final int ROLES_RELOAD_SECONDS = 30;

  /** Roles are not loaded yet (or the verticle is starting): no decision is possible. */
  public static final int UNAVAILABLE = Failures.UNAVAILABLE;

  /** The request body is malformed (missing or ill-typed principal, method or path). */
  public static final int BAD_REQUEST = Failures.BAD_REQUEST;
  /** The action header names no known action. */
  public static final int UNKNOWN_ACTION = Failures.UNKNOWN_ACTION;
}
