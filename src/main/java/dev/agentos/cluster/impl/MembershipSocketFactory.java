package dev.agentos.cluster.impl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jgroups.util.DefaultSocketFactory;

/**
 * The membership layer's (JGroups) sockets: TLS 1.3 both ways with the cluster's credentials. Outgoing sockets
 * authenticate the peer they reach; the server socket completes each handshake, client certificate required,
 * before JGroups sees the connection, so a peer without a certificate from the cluster's CA (or speaking
 * plaintext) never gets a byte of the membership protocol read, and is counted and logged with its address.
 */
public final class MembershipSocketFactory extends DefaultSocketFactory {
  /** A peer gets this long to finish its handshake; the acceptor is not held up longer by a silent client. */
  static final int HANDSHAKE_TIMEOUT_MS = 2_000;

  private final SSLContext context;
  private final PeerAudit audit;

  public MembershipSocketFactory(SSLContext context, PeerAudit audit) {
    super(context);
    this.context = context;
    this.audit = audit;
    setSocketConfigurator(socket -> {
      if (socket instanceof SSLSocket tls) tls.setEnabledProtocols(new String[] {ClusterTls.PROTOCOL});
    });
  }

  @Override
  public ServerSocket createServerSocket(String serviceName) throws IOException {
    return new AuthenticatingServerSocket();
  }

  @Override
  public ServerSocket createServerSocket(String serviceName, int port) throws IOException {
    ServerSocket socket = new AuthenticatingServerSocket();
    socket.bind(new java.net.InetSocketAddress(port));
    return socket;
  }

  @Override
  public ServerSocket createServerSocket(String serviceName, int port, int backlog) throws IOException {
    ServerSocket socket = new AuthenticatingServerSocket();
    socket.bind(new java.net.InetSocketAddress(port), backlog);
    return socket;
  }

  @Override
  public ServerSocket createServerSocket(String serviceName, int port, int backlog, InetAddress bindAddress) throws IOException {
    ServerSocket socket = new AuthenticatingServerSocket();
    socket.bind(new java.net.InetSocketAddress(bindAddress, port), backlog);
    return socket;
  }

  /** A plain listening socket whose {@link #accept()} hands out only sockets that finished a mutual TLS handshake. */
  private final class AuthenticatingServerSocket extends ServerSocket {
    AuthenticatingServerSocket() throws IOException {
      super();
    }

    @Override
    public Socket accept() throws IOException {
      SSLSocketFactory factory = context.getSocketFactory();
      while (true) {
        Socket raw = super.accept();
        String peer = String.valueOf(raw.getRemoteSocketAddress());
        SSLSocket tls = null;
        try {
          tls = (SSLSocket) factory.createSocket(raw, null, raw.getPort(), true);
          tls.setUseClientMode(false);
          tls.setNeedClientAuth(true);
          tls.setEnabledProtocols(new String[] {ClusterTls.PROTOCOL});
          raw.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
          tls.startHandshake();
          raw.setSoTimeout(0);
          return tls;
        } catch (SocketTimeoutException e) {
          audit.refused("membership", peer, "handshake_timeout", "no TLS handshake within " + HANDSHAKE_TIMEOUT_MS + " ms");
          closeQuietly(tls, raw);
        } catch (IOException | RuntimeException e) {
          audit.refused("membership", peer, PeerAudit.reasonOf(e), String.valueOf(e.getMessage()));
          closeQuietly(tls, raw);
        }
      }
    }
  }

  private static void closeQuietly(Socket tls, Socket raw) {
    try {
      if (tls != null) tls.close();
    } catch (IOException ignored) {
      // already broken
    }
    try {
      raw.close();
    } catch (IOException ignored) {
      // already broken
    }
  }
}
