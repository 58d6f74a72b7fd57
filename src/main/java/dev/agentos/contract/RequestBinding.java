package dev.agentos.contract;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Binds every event-bus reply to the request it answers. Vert.x reply addresses are sequence numbers another
 * sender could guess; so each request carries a random id ({@value #HEADER}) that the replying verticle copies
 * into its reply, and the asking side accepts a reply only if the id is its own. A reply that does not match
 * fails the request (callers answer 503), never counts as an answer.
 */
public final class RequestBinding {
  public static final String HEADER = "agentos-request-id";

  // one DRBG per thread: the platform default (NativePRNG) serialises every draw on one global lock, and this
  // runs once per request on every event loop
  private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(() -> {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (java.security.NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  });

  private RequestBinding() {}

  /** Thrown (as a failed future) when a reply does not carry the request's id. */
  public static final class UnboundReply extends RuntimeException {
    UnboundReply() {
      super("reply not bound to its request", null, false, false);
    }
  }

  /** Sends a request with a fresh id and accepts only a reply carrying that id. */
  public static <T> Future<Message<T>> request(EventBus bus, String address, Object body, DeliveryOptions options) {
    String id = newId();
    options.addHeader(HEADER, id);
    return bus.<T>request(address, body, options).compose(reply -> id.equals(reply.headers().get(HEADER))
        ? Future.succeededFuture(reply) : Future.failedFuture(new UnboundReply()));
  }

  /** Replies to {@code request}, carrying its id. */
  public static void reply(Message<?> request, Object body) {
    String id = request.headers().get(HEADER);
    request.reply(body, id == null ? new DeliveryOptions() : new DeliveryOptions().addHeader(HEADER, id));
  }

  private static String newId() {
    SecureRandom random = RANDOM.get();
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
