package dev.agentos.cluster;

import dev.agentos.cluster.impl.ClusterTls;
import dev.agentos.contract.NodeIdentity;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The three ways a node can be known to the others (see {@link NodeIdentity}). */
public final class NodeIdentities {
  private NodeIdentities() {}

  /** Outside a cluster: a key made at start-up; only seals made with it are trusted. */
  public static NodeIdentity local() {
    KeyPair pair = ephemeral();
    return new Ephemeral(pair, false);
  }

  /**
   * An insecure cluster ({@code cluster.security.insecure}): nodes have no credentials, so a seal's embedded key
   * is taken at its word. Nothing on such a cluster is authenticated; this keeps the writes working.
   */
  public static NodeIdentity unauthenticated() {
    return new Ephemeral(ephemeral(), true);
  }

  /** A secure cluster: the node's credentials; signers are trusted if their chain leads to the cluster CA. */
  static NodeIdentity of(ClusterTls tls) {
    return new Credentialed(tls);
  }

  private static KeyPair ephemeral() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is always available", e);
    }
  }

  private static byte[] sign(PrivateKey key, byte[] data) {
    try {
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(data);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with this node's key: " + e.getMessage(), e);
    }
  }

  private record Ephemeral(KeyPair pair, boolean trustAnyKey) implements NodeIdentity {
    @Override
    public byte[] sign(byte[] data) {
      return NodeIdentities.sign(pair.getPrivate(), data);
    }

    @Override
    public List<X509Certificate> chain() {
      return List.of();
    }

    @Override
    public PublicKey publicKey() {
      return pair.getPublic();
    }

    @Override
    public Optional<PublicKey> trustedSigner(List<X509Certificate> chain, Optional<PublicKey> key) {
      if (!chain.isEmpty() || key.isEmpty()) return Optional.empty();
      if (trustAnyKey) return key;
      return key.get().equals(pair.getPublic()) ? key : Optional.empty();
    }
  }

  private record Credentialed(ClusterTls tls) implements NodeIdentity {
    @Override
    public byte[] sign(byte[] data) {
      return NodeIdentities.sign(tls.credentials().key(), data);
    }

    @Override
    public List<X509Certificate> chain() {
      return tls.credentials().chain();
    }

    @Override
    public PublicKey publicKey() {
      return tls.credentials().certificate().getPublicKey();
    }

    /** PKIX validation against the CA bundle in use, and the signer must be a node (OU=agentos-node). */
    @Override
    public Optional<PublicKey> trustedSigner(List<X509Certificate> chain, Optional<PublicKey> key) {
      if (chain.isEmpty()) return Optional.empty();
      X509Certificate leaf = chain.get(0);
      if (!leaf.getSubjectX500Principal().getName().contains("OU=" + CredentialsIssuer.NODE_UNIT)) return Optional.empty();
      try {
        Set<TrustAnchor> anchors = tls.credentials().trustedCas().stream().map(ca -> new TrustAnchor(ca, null))
            .collect(Collectors.toSet());
        PKIXParameters params = new PKIXParameters(anchors);
        params.setRevocationEnabled(false);
        List<X509Certificate> path = chain.stream().filter(c -> c.getBasicConstraints() < 0 || !anchors.stream()
            .anyMatch(a -> a.getTrustedCert().equals(c))).toList();
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        return Optional.of(leaf.getPublicKey());
      } catch (GeneralSecurityException | RuntimeException e) {
        return Optional.empty();
      }
    }
  }
}
