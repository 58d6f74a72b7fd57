package dev.agentos.http;

import dev.agentos.authn.AuthenticationHandler;
import dev.agentos.authn.JwtVerifier;
import dev.agentos.authn.KeySet;
import dev.agentos.authn.ServiceAccountVerifier;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.LifecycleApi;
import dev.agentos.contract.StorageApi;
import dev.agentos.http.pipeline.AccessLog;
import dev.agentos.http.pipeline.ConnectionLimits;
import dev.agentos.http.pipeline.PathGuard;
import dev.agentos.http.pipeline.PolicyHandler;
import dev.agentos.http.pipeline.ProtocolGuard;
import dev.agentos.http.pipeline.RequestPipeline;
import dev.agentos.http.pipeline.StrictRequestDecoder;
import dev.agentos.http.routes.ApiDocsRoutes;
import dev.agentos.http.routes.AuthzRoutes;
import dev.agentos.http.routes.ComponentRoutes;
import dev.agentos.http.routes.ResourceMetadataRoutes;
import dev.agentos.http.routes.UserRoutes;
import dev.agentos.http.routes.DataRoutes;
import dev.agentos.http.routes.ServiceAccountRoutes;
import dev.agentos.http.support.ErrorResponses;
import dev.agentos.http.support.FormLimits;
import dev.agentos.http.support.JsonBodies;
import dev.agentos.policy.PolicyClient;
import dev.agentos.storage.StorageClient;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP front door. Handler order is the security invariant: access log → canonical path → CORS →
 * authentication → policy (event bus) → body → route. One instance per event loop; each has its own
 * verifier and token cache, so nothing mutable is shared between instances.
 */
public final class HttpVerticle extends VerticleBase {
  /** agno's default CORS origins (docs/configuration.md). */
  public static final List<String> DEFAULT_CORS_ORIGINS = List.of("http://localhost:3000", "https://agno.com",
      "https://www.agno.com", "https://app.agno.com", "https://os-stg.agno.com", "https://os.agno.com");
  private static final long READY_TIMEOUT_MS = 2_000;

  private final AgentOsConfig config;
  private final KeySet keys;
  private final String metricsRegistry;
  private final Instant instantiatedAt = Instant.now();
  private boolean draining;
  private ConnectionLimits limits;
  private HttpServer server;
  private dev.agentos.authn.NodeJwks jwks;
  private ServiceAccountVerifier serviceAccounts;

  /** @param metricsRegistry the Micrometer registry of this Vert.x instance, scraped at /metrics */
  public HttpVerticle(AgentOsConfig config, KeySet keys, String metricsRegistry) {
    this.config = config;
    this.keys = keys;
    this.metricsRegistry = metricsRegistry;
  }

  @Override
  public Future<?> start() {
    AgentOsConfig.Authorization authz = config.authorization();
    JwtVerifier verifier = new JwtVerifier(authz, authz.expectedAudience(config.os().id()), keys);
    AuthenticationHandler authentication = new AuthenticationHandler(vertx, authz, verifier);
    PolicyClient policy = new PolicyClient(vertx, authz.policyTimeoutMs());
    // one storage client for the verticle, with the one configured timeout, shared by every route group
    storage = new StorageClient(vertx, config.postgres().requestTimeoutMs());
    serviceAccounts = new ServiceAccountVerifier(vertx, authz,
        config.http().instances().orElse(io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE), storage);
    authentication.useServiceAccounts(serviceAccounts);
    authentication.useClientAddresses(dev.agentos.common.ClientAddresses.of(config.http().trustedProxies()));
    if (authz.remoteJwks() && authz.validate()) {
      jwks = new dev.agentos.authn.NodeJwks(vertx, authz, fetched -> {
        verifier.updateKeys(verifier.keys().withJwks(fetched));
        authentication.keysChanged();
      });
      authentication.useJwksSource(jwks);
    }

    Router router = buildRouter(authentication, policy);

    AgentOsConfig.Http http = config.http();
    HttpServerOptions options = new HttpServerOptions().setHost(http.host()).setPort(http.port())
        .setMaxHeaderSize(http.maxHeaderBytes()).setMaxInitialLineLength(http.maxInitialLineBytes())
        .setCompressionSupported(false)
        // one form field may be as large as the whole body may be (Vert.x's own default is 8 KB, answered with a
        // bare 400): the body limit is the one limit, and past it the answer is 413 {detail}
        .setMaxFormAttributeSize((int) Math.min(Integer.MAX_VALUE, http.maxBodyBytes()))
        .setMaxFormFields(FormLimits.MAX_FIELDS).setMaxFormBufferedBytes(FormLimits.MAX_BUFFERED_BYTES)
        // No h2c upgrade: an upgraded request arrives already ended, which the body step cannot read after
        // the (asynchronous) policy step. HTTP/2 belongs on TLS at the ingress.
        .setHttp2ClearTextEnabled(false);
    if (http.idleTimeoutSeconds() > 0) options.setIdleTimeout(http.idleTimeoutSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS);
    server = vertx.createHttpServer(options).requestHandler(router).invalidRequestHandler(HttpVerticle::invalidRequest)
        .connectionHandler(connection -> {
          StrictRequestDecoder.install(connection, options);
          limits.connected(connection);
        });
    // Shutdown begins with a local broadcast, so /ready turns false before the server stops accepting.
    vertx.eventBus().localConsumer(LifecycleApi.DRAINING, msg -> draining = true);
    Future<Void> keysLoaded = jwks == null ? Future.succeededFuture() : jwks.start();
    return keysLoaded.compose(v -> server.listen());
  }

  /**
   * The router, handlers in their security order, then the served routes. Package-visible so the fail-closed
   * test can enumerate exactly the routes this code serves.
   */
  /** The verticle's storage client (made at start; the router enumeration in tests makes its own). */
  private StorageClient storageClient() {
    if (storage == null) storage = new StorageClient(vertx, config.postgres().requestTimeoutMs());
    return storage;
  }

  private StorageClient storage;

  Router buildRouter(AuthenticationHandler authentication, PolicyClient policy) {
    limits = new ConnectionLimits(vertx, config.http().perInstance(config.http().maxConnections()),
        TimeUnit.SECONDS.toMillis(config.http().headerTimeoutSeconds()));
    Router router = Router.router(vertx);
    RequestPipeline.install(router, List.of(new AccessLog(config.logging().accessLog()), limits, new ProtocolGuard(),
            this::admitUnlessDraining, new PathGuard()), cors(), authentication,
        new PolicyHandler(policy, authentication, metricsRegistry), config.http().maxBodyBytes());

    router.get("/").handler(this::root);
    router.get(RequestPipeline.HEALTH_PATH).handler(this::health);
    router.get("/info").handler(this::info);
    router.get(RequestPipeline.READY_PATH).handler(ctx -> ready(ctx, policy));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metricsRegistry));
    StorageClient storage = storageClient();
    new DataRoutes(vertx, config.authorization(), storage).mount(router);
    new ServiceAccountRoutes(vertx, config.authorization(), policy, storage).mount(router);
    new AuthzRoutes(vertx, config.authorization(), policy, authentication, storage).mount(router);
    new UserRoutes(config.authorization(), policy, storage).mount(router);
    new ComponentRoutes(vertx, config, storage, policy).mount(router);
    JsonObject[] openApi = new JsonObject[1];
    router.get("/openapi.json").handler(ctx -> json(ctx, 200, openApi[0]));
    // generated from the routes just registered, this one included, so the description cannot drift
    openApi[0] = OpenApiDocument.of(router, config, config.authorization().excludedRoutePaths());
    // after the document: the documentation pages are not operations of the API
    new ApiDocsRoutes(config.os().name().orElse("AgentOS")).mount(router);
    // public discovery documents (RFC 9728), not operations of the API either
    new ResourceMetadataRoutes(config).mount(router);

    String metadataUrl = config.authorization().resourceMetadata().map(AgentOsConfig.ResourceMetadata::metadataUrl).orElse(null);
    router.route().failureHandler(ctx -> ErrorResponses.handle(ctx, metadataUrl));
    for (int status : new int[] {400, 404, 405, 413, 500}) router.errorHandler(status, ctx -> ErrorResponses.handle(ctx, metadataUrl));
    return router;
  }

  /**
   * Once shutdown has begun, requests that arrive on connections still open get 503 and the connection is
   * closed, so clients retry on another node; requests already past this step finish. Liveness stays up.
   */
  private boolean admitUnlessDraining(RoutingContext ctx) {
    if (!draining || RequestPipeline.HEALTH_PATH.equals(ctx.request().path())) return true;
    ErrorResponses.sendAndClose(ctx.request(), 503, "Service is shutting down");
    return false;
  }

  /** Oversized or malformed request heads never reach the router: answer them in agno's shape here. */
  private static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = 400;
    if (cause instanceof TooLongHttpHeaderException) status = 431;
    else if (cause instanceof TooLongHttpLineException) status = 414;
    else if (cause instanceof TooLongFrameException) status = 431;
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    ErrorResponses.send(request.response(), status, ErrorResponses.defaultDetail(status));
  }

  private CorsHandler cors() {
    List<String> origins = config.http().corsAllowedOrigins().isEmpty() ? DEFAULT_CORS_ORIGINS
        : config.http().corsAllowedOrigins();
    return CorsHandler.create().addOrigins(origins).allowCredentials(true)
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE,
            HttpMethod.OPTIONS, HttpMethod.HEAD))
        .allowedHeaders(Set.of("Authorization", "Content-Type", "X-Request-Id", "Accept", PolicyHandler.TENANT_HEADER))
        .exposedHeaders(Set.of("X-Request-Id", PolicyHandler.DECISION_ID_HEADER));
  }

  private void root(RoutingContext ctx) {
    json(ctx, 200, new JsonObject().put("name", "AgentOS API")
        .put("id", config.os().id().orElse("agno-agentos")).put("version", config.os().version()));
  }

  private void health(RoutingContext ctx) {
    json(ctx, 200, new JsonObject().put("status", "ok").put("instantiated_at", instantiatedAt.toString()));
  }

  private void info(RoutingContext ctx) {
    json(ctx, 200, new JsonObject()
        .put("os_id", config.os().id().orElse("agno-agentos"))
        .put("name", config.os().name().orElse(null))
        .put("agno_version", config.os().version())
        .put("agent_count", config.registry().agents().size()).put("team_count", config.registry().teams().size())
        .put("workflow_count", config.registry().workflows().size())
        .put("mcp", new JsonObject().put("enabled", false).put("path", null).put("oauth", false))
        .put("auth_mode", config.authorization().authMode()));
  }

  /**
   * Readiness: not draining, the storage verticle answers (database migrated and reachable), the policy
   * verticle answers, and, with a JWKS URL, a key set has been fetched.
   */
  private void ready(RoutingContext ctx, PolicyClient policy) {
    if (draining) {
      json(ctx, 503, new JsonObject().put("detail", "Shutting down"));
      return;
    }
    if (jwks != null && !jwks.hasKeys()) {
      json(ctx, 503, new JsonObject().put("detail", "Service not ready")
          .put("checks", new JsonObject().put("jwks", "down")));
      return;
    }
    DeliveryOptions ping = new DeliveryOptions().setSendTimeout(READY_TIMEOUT_MS)
        .addHeader(StorageApi.ACTION_HEADER, StorageApi.PING);
    Future<String> storage = vertx.eventBus().request(StorageApi.ADDRESS, new JsonObject(), ping)
        .map(m -> "up").recover(e -> Future.succeededFuture("down"));
    Future<String> policyUp = policy.ping().map(v -> "up").recover(e -> Future.succeededFuture("down"));
    Future.all(storage, policyUp).onComplete(ar -> {
      // a policy verticle takes requests only once it has loaded its roles from storage: say so when that is why
      String policyState = "down".equals(policyUp.result()) && "down".equals(storage.result())
          ? "waiting for storage (roles not loaded)" : policyUp.result();
      JsonObject checks = new JsonObject().put("storage", storage.result()).put("policy", policyState);
      boolean up = "up".equals(storage.result()) && "up".equals(policyUp.result());
      json(ctx, up ? 200 : 503, up ? new JsonObject().put("status", "ready").put("checks", checks)
          : new JsonObject().put("detail", "Service not ready").put("checks", checks));
    });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    JsonBodies.respond(ctx, status, body);
  }

  @Override
  public Future<?> stop() {
    if (jwks != null) jwks.close();
    if (serviceAccounts != null) serviceAccounts.close();
    // Graceful: stop accepting, let in-flight requests finish within the bound, then close.
    return server == null ? Future.succeededFuture()
        : server.shutdown(config.http().shutdownTimeoutSeconds(), TimeUnit.SECONDS);
  }
}
