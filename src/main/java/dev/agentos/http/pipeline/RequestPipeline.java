package dev.agentos.http.pipeline;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.http.support.InputRules;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;

/**
 * The order every request goes through before a route: the security invariant, written once (docs/architecture.md).
 * <ol>
 *   <li>gates, in one step: the access log and request id; the connection limit; methods and message framing
 *       (405/501, request-smuggling building blocks); draining (503 during shutdown); the path, canonical or
 *       refused (a non-canonical spelling is rerouted to its canonical form and comes through here again);</li>
 *   <li>CORS (a preflight is answered here, before any credential is asked for);</li>
 *   <li>authentication: a principal, or 401 (excluded routes pass without one);</li>
 *   <li>the policy decision over the event bus: allowed, or 403/503 (never an allow on a failure);</li>
 *   <li>the body, read only now (the request was paused until a decision allowed it), bounded;</li>
 *   <li>input rules on query and form values (422).</li>
 * </ol>
 */
public final class RequestPipeline {
  /** Liveness: answers while the process runs, whatever other nodes do (k8s/deployment.yaml probes it). */
  public static final String HEALTH_PATH = "/health";
  /** Readiness: not draining, and policy and storage answer over the event bus. */
  public static final String READY_PATH = "/ready";

  private RequestPipeline() {}

  public static void install(Router router, List<RequestGate> gates, Handler<RoutingContext> cors, AuthenticationHandler authentication,
                      PolicyHandler policy, long maxBodyBytes) {
    List<RequestGate> ordered = List.copyOf(gates);
    router.route().handler(ctx -> {
      for (RequestGate gate : ordered) {
        if (!gate.admit(ctx)) return;
      }
      ctx.next();
    });
    router.route().handler(cors);
    router.route().handler(authentication);
    router.route().handler(policy);
    router.route().handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.route().handler(InputRules::check);
  }
}
