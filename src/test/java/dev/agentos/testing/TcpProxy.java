package dev.agentos.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy the test controls, to cut or slow the path to PostgreSQL without touching the shared server.
 * While cut, new connections are closed at once and existing ones are dropped.
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx;
  private final NetServer server;
  private final NetClient client;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;
  private volatile long delayMs;

  private TcpProxy(Vertx vertx, String targetHost, int targetPort) {
    this.vertx = vertx;
    this.client = vertx.createNetClient();
    this.server = vertx.createNetServer().connectHandler(in -> {
      if (cut) {
        in.close();
        return;
      }
      in.pause();
      client.connect(targetPort, targetHost).onComplete(ar -> {
        if (ar.failed() || cut) {
          in.close();
          if (ar.succeeded()) ar.result().close();
          return;
        }
        NetSocket out = ar.result();
        // register first, then look at the flag (cut() sets the flag, then closes what is registered): a
        // connection made while cut() runs is either closed by cut() or sees the flag here, never neither
        open.add(in);
        open.add(out);
        if (cut) {
          in.close();
          out.close();
          return;
        }
        // nothing is forwarded once cut, even bytes already read before the sockets finish closing
        in.handler(buf -> { if (!cut) forward(buf, out); });
        out.handler(buf -> { if (!cut) forward(buf, in); });
        in.closeHandler(v -> { open.remove(in); out.close(); });
        out.closeHandler(v -> { open.remove(out); in.close(); });
        in.resume();
      });
    });
  }

  private void forward(io.vertx.core.buffer.Buffer buf, NetSocket to) {
    long d = delayMs;
    if (d <= 0) to.write(buf);
    else vertx.setTimer(d, id -> to.write(buf));
  }

  public static TcpProxy start(Vertx vertx, String targetHost, int targetPort) throws Exception {
    TcpProxy proxy = new TcpProxy(vertx, targetHost, targetPort);
    proxy.server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return proxy;
  }

  public int port() {
    return server.actualPort();
  }

  /**
   * Cuts every connection and returns only once they are closed: a close is queued to the socket's event loop
   * (and flushes pending writes first), so without waiting a request sent right after cut() could still pass.
   */
  public void cut() {
    cut = true;
    java.util.List<io.vertx.core.Future<Void>> closing = new java.util.ArrayList<>();
    for (NetSocket s : open) closing.add(s.close());
    try {
      io.vertx.core.Future.join(closing).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a socket that fails to close cleanly is closed all the same
    }
  }

  public void restore() {
    cut = false;
  }

  public void delay(long ms) {
    delayMs = ms;
  }

  @Override
  public void close() throws Exception {
    cut();
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    client.close();
  }
}
