package dev.agentos.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.JWTAuthHandler;

/**
 * The ceiling for the load test: a bare Vert.x route protected by vertx-auth-jwt's {@code JWTAuthHandler}
 * alone (HS256), one JWTAuth per event loop. Usage: {@code java -cp benchmarks.jar dev.agentos.bench.BareJwtServer PORT SECRET}.
 */
public final class BareJwtServer {
  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    String secret = args[1];
    Vertx vertx = Vertx.vertx();
    int loops = 2 * Runtime.getRuntime().availableProcessors();
    vertx.deployVerticle(() -> new io.vertx.core.VerticleBase() {
      @Override
      public io.vertx.core.Future<?> start() {
        JWTAuth auth = JWTAuth.create(vertx, new JWTAuthOptions()
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
        Router router = Router.router(vertx);
        router.route("/protected").handler(JWTAuthHandler.create(auth));
        router.get("/protected").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("ok", true).encode()));
        return vertx.createHttpServer().requestHandler(router).listen(port, "127.0.0.1");
      }
    }, new io.vertx.core.DeploymentOptions().setInstances(loops)).onSuccess(id -> System.out.println("bare server on " + port));
  }
}
