package dev.agentos.cluster.impl;

import dev.agentos.cluster.ClusterCredentials;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's TLS identity and trust for everything between nodes (the membership layer and the event bus),
 * built from {@link ClusterCredentials}. The key and trust managers handed out here stay the same objects for
 * the node's life and delegate to the credentials loaded last, so {@link #reloadIfChanged()} rotates them
 * without a restart: new connections use the new files, open ones keep going. Peers are trusted only if their
 * certificate chains to a CA in the node's own bundle (never the JDK's default CAs).
 */
public final class ClusterTls {
  public static final String PROTOCOL = "TLSv1.3";
  private static final Logger log = LoggerFactory.getLogger("agentos.cluster.security");

  private final Path dir;
  private final PeerAudit audit;
  private final AtomicReference<Material> current = new AtomicReference<>();
  private final X509ExtendedKeyManager keyManager = new DelegatingKeyManager();
  private final X509ExtendedTrustManager trustManager = new AuditingTrustManager();

  private record Material(ClusterCredentials credentials, X509ExtendedKeyManager keys, X509ExtendedTrustManager trust) {}

  private ClusterTls(Path dir, PeerAudit audit) {
    this.dir = dir;
    this.audit = audit;
  }

  /** Loads the credentials (a {@link dev.agentos.config.ConfigException} if they are unusable). */
  public static ClusterTls load(Path dir, PeerAudit audit) {
    ClusterTls tls = new ClusterTls(dir, audit);
    tls.current.set(material(ClusterCredentials.load(dir)));
    return tls;
  }

  public ClusterCredentials credentials() {
    return current.get().credentials();
  }

  public PeerAudit audit() {
    return audit;
  }

  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  public X509ExtendedTrustManager trustManager() {
    return trustManager;
  }

  /** A TLS 1.3 context over this node's managers (for the membership layer's sockets). */
  public SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance(PROTOCOL);
      context.init(new javax.net.ssl.KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS 1.3 is always available on Java 17", e);
    }
  }

  /**
   * Re-reads the credentials directory (blocking: call it on a worker thread). Returns true when new credentials
   * are now in use. Files that do not load (half-written, a key that does not match) keep the old credentials
   * in use and log why, so a rotation mistake never takes a node off the cluster.
   */
  public boolean reloadIfChanged() {
    Material before = current.get();
    String onDisk;
    try {
      onDisk = ClusterCredentials.fingerprintOf(dir);
    } catch (IOException e) {
      log.warn("cluster credentials in {} cannot be read ({}); keeping the ones in use", dir, e.getMessage());
      return false;
    }
    if (onDisk.equals(before.credentials().fingerprint())) return false;
    try {
      Material next = material(ClusterCredentials.load(dir));
      current.set(next);
      X509Certificate cert = next.credentials().certificate();
      log.info("cluster credentials reloaded from {}: certificate {} valid until {}, {} trusted CA(s)", dir,
          cert.getSubjectX500Principal().getName(), cert.getNotAfter().toInstant(), next.credentials().trustedCas().size());
      return true;
    } catch (RuntimeException e) {
      log.warn("new cluster credentials in {} are not usable ({}); keeping the ones in use", dir, e.getMessage());
      return false;
    }
  }

  private static Material material(ClusterCredentials credentials) {
    try {
      char[] password = new char[0];
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      keyStore.load(null, null);
      keyStore.setKeyEntry("node", credentials.key(), password, credentials.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(keyStore, password);
      KeyStore trustStore = KeyStore.getInstance("PKCS12");
      trustStore.load(null, null);
      int i = 0;
      for (X509Certificate ca : credentials.trustedCas()) trustStore.setCertificateEntry("ca-" + (i++), ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trustStore);
      return new Material(credentials, (X509ExtendedKeyManager) kmf.getKeyManagers()[0],
          (X509ExtendedTrustManager) tmf.getTrustManagers()[0]);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build TLS material from the cluster credentials: " + e.getMessage(), e);
    }
  }

  private static String peer(Socket socket) {
    return socket == null || socket.getRemoteSocketAddress() == null ? "unknown" : socket.getRemoteSocketAddress().toString();
  }

  private final class DelegatingKeyManager extends X509ExtendedKeyManager {
    private X509ExtendedKeyManager keys() {
      return current.get().keys();
    }

    @Override public String[] getClientAliases(String keyType, Principal[] issuers) { return keys().getClientAliases(keyType, issuers); }
    // A node has exactly one key: it offers it whatever CAs the server lists, and the server decides. (Netty's
    // OpenSSL server fixes that list when its context is built, so after a CA rotation it can name only the
    // old CA; filtering by it would send no certificate at all.)
    @Override public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) { return keys().chooseClientAlias(keyType, null, socket); }
    @Override public String[] getServerAliases(String keyType, Principal[] issuers) { return keys().getServerAliases(keyType, issuers); }
    @Override public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) { return keys().chooseServerAlias(keyType, issuers, socket); }
    @Override public X509Certificate[] getCertificateChain(String alias) { return keys().getCertificateChain(alias); }
    @Override public PrivateKey getPrivateKey(String alias) { return keys().getPrivateKey(alias); }
    @Override public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) { return keys().chooseEngineClientAlias(keyType, null, engine); }
    @Override public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) { return keys().chooseEngineServerAlias(keyType, issuers, engine); }
  }

  /** Delegates to the current trust; a peer whose certificate fails is counted and logged with its address. */
  private final class AuditingTrustManager extends X509ExtendedTrustManager {
    private X509ExtendedTrustManager trust() {
      return current.get().trust();
    }

    private void refuse(String layer, String peer, CertificateException e) throws CertificateException {
      audit.refused(layer, peer, "untrusted_certificate", e.getMessage());
      throw e;
    }

    // A peer that connects to us and fails is counted where its handshake fails (the membership server socket
    // and the event-bus SSL handlers know its address and see every failure, not only bad certificates); here
    // we count only the peers we connect to, which nothing else observes.
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      trust().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      try {
        trust().checkServerTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        refuse("membership", peer(socket), e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      trust().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      trust().checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust().checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trust().getAcceptedIssuers();
    }
  }
}
