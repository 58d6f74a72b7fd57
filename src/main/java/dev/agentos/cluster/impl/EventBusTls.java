package dev.agentos.cluster.impl;

import dev.agentos.cluster.ClusterCredentials;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.internal.tls.SslContextManager;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Mutual TLS on the clustered event bus. {@link #configure} turns it on in the options the event bus is
 * created with (PEM files: the only key material that survives the copy Vert.x makes of those options), so
 * no plaintext listener ever exists and the event bus never sends to a peer it cannot authenticate (its
 * client verifies every peer against the cluster CA; host names are not checked, the CA is the identity).
 *
 * <p>{@link #install} then swaps the event bus's server and client to SSL contexts built on {@link ClusterTls}'s
 * reloading managers and to an engine factory that reports every failed handshake with the peer's address.
 * Vert.x has no public handle on the event bus's own server and client, so this reaches them by reflection:
 * the one place that does, pinned to the Vert.x version of the BOM, and checked by the cluster security tests
 * (rotation and refusal counts fail if it stops working). If it cannot be installed the node refuses to start.
 */
public final class EventBusTls {
  private static final String LAYER = "event_bus";

  private EventBusTls() {}

  /** BoringSSL (Netty's OpenSSL engine) where its native library loads, else the JDK's engine. */
  public static String engineName() {
    return io.netty.handler.ssl.OpenSsl.isAvailable() ? "OpenSSL (" + io.netty.handler.ssl.OpenSsl.versionString() + ")" : "JDK";
  }

  private static io.vertx.core.net.SSLEngineOptions engine() {
    return io.netty.handler.ssl.OpenSsl.isAvailable() ? new io.vertx.core.net.OpenSSLEngineOptions() : new JdkSSLEngineOptions();
  }

  public static void configure(EventBusOptions options, Path credentialsDir) {
    options.setSslEngineOptions(engine());
    options.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(credentialsDir.resolve(ClusterCredentials.CERT_FILE).toString())
            .setKeyPath(credentialsDir.resolve(ClusterCredentials.KEY_FILE).toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(credentialsDir.resolve(ClusterCredentials.CA_FILE).toString()))
        .setEnabledSecureTransportProtocols(Set.of(ClusterTls.PROTOCOL))
        .setSslHandshakeTimeout(MembershipSocketFactory.HANDSHAKE_TIMEOUT_MS).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  public static Future<Void> install(Vertx vertx, ClusterTls tls) {
    Object eventBus = vertx.eventBus();
    NetServer server;
    NetClient client;
    try {
      server = (NetServer) field(eventBus.getClass(), "server").get(eventBus);
      client = (NetClient) field(eventBus.getClass(), "client").get(eventBus);
      field(server.getClass(), "sslContextManager").set(server, new SslContextManager(new AuditedEngineOptions(tls.audit())));
      field(client.getClass(), "sslContextManager").set(client, new SslContextManager(new AuditedEngineOptions(tls.audit())));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Future.failedFuture(new IllegalStateException("cannot install the event bus's TLS rotation and audit on this "
          + "Vert.x version (" + e + ")", e));
    }
    KeyCertOptions keys = KeyCertOptions.wrap(tls.keyManager());
    TrustOptions trust = TrustOptions.wrap(tls.trustManager());
    ServerSSLOptions serverOptions = new ServerSSLOptions().setKeyCertOptions(keys).setTrustOptions(trust)
        .setClientAuth(ClientAuth.REQUIRED).setEnabledSecureTransportProtocols(Set.of(ClusterTls.PROTOCOL))
        .setSslHandshakeTimeout(MembershipSocketFactory.HANDSHAKE_TIMEOUT_MS).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    ClientSSLOptions clientOptions = new ClientSSLOptions().setKeyCertOptions(keys).setTrustOptions(trust)
        .setHostnameVerificationAlgorithm("").setEnabledSecureTransportProtocols(Set.of(ClusterTls.PROTOCOL))
        .setSslHandshakeTimeout(MembershipSocketFactory.HANDSHAKE_TIMEOUT_MS).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    return server.updateSSLOptions(serverOptions, true).compose(s -> client.updateSSLOptions(clientOptions, true)).mapEmpty();
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException next) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(type.getName() + "." + name);
  }

  /** The engine of {@link #engine()}, with every SSL handler it makes reporting a failed handshake to the audit. */
  static final class AuditedEngineOptions extends io.vertx.core.net.SSLEngineOptions {
    private final PeerAudit audit;
    private final io.vertx.core.net.SSLEngineOptions engine = engine();

    AuditedEngineOptions(PeerAudit audit) {
      this.audit = audit;
    }

    @Override
    public io.vertx.core.net.SSLEngineOptions copy() {
      return new AuditedEngineOptions(audit);
    }

    @Override
    public SslContextFactory sslContextFactory() {
      SslContextFactory jdk = engine.sslContextFactory();
      return new SslContextFactory() {
        @Override public SslContextFactory useAlpn(boolean useAlpn) { jdk.useAlpn(useAlpn); return this; }
        @Override public SslContextFactory clientAuth(io.netty.handler.ssl.ClientAuth clientAuth) { jdk.clientAuth(clientAuth); return this; }
        @Override public SslContextFactory forClient(boolean forClient) { jdk.forClient(forClient); return this; }
        @Override public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) { jdk.keyMananagerFactory(kmf); return this; }
        @Override public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) { jdk.trustManagerFactory(tmf); return this; }
        @Override public SslContextFactory enabledCipherSuites(Set<String> suites) { jdk.enabledCipherSuites(suites); return this; }
        @Override public SslContextFactory applicationProtocols(List<String> protocols) { jdk.applicationProtocols(protocols); return this; }
        @Override public SslContextFactory serverName(String serverName) { jdk.serverName(serverName); return this; }

        @Override
        public SslContext create() throws SSLException {
          return new AuditedContext(jdk.create(), audit);
        }
      };
    }
  }

  private static final class AuditedContext extends DelegatingSslContext {
    private final PeerAudit audit;

    AuditedContext(SslContext delegate, PeerAudit audit) {
      super(delegate);
      this.audit = audit;
    }

    @Override
    protected void initEngine(SSLEngine engine) {
      // nothing to change: the engine is configured by Vert.x
    }

    @Override
    protected void initHandler(SslHandler handler) {
      SSLEngine engine = handler.engine();
      handler.handshakeFuture().addListener(done -> {
        if (!done.isSuccess()) {
          String peer = engine.getPeerHost() == null ? "unknown" : engine.getPeerHost() + ":" + engine.getPeerPort();
          audit.refused(LAYER, peer, PeerAudit.reasonOf(done.cause()), String.valueOf(done.cause().getMessage()));
        }
      });
    }
  }
}
