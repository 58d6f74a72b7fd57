package dev.agentos.contract;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Who this node is to the others, for what it signs ({@link DecisionSeal}): its signing key with its certificate
 * chain (issued by the cluster CA), and which signers it trusts. Implemented by the cluster package; outside a
 * cluster a node trusts only its own key, and in an insecure cluster nothing is authenticated.
 */
public interface NodeIdentity {
  /** Signs {@code data} with this node's key. */
  byte[] sign(byte[] data);

  /** The chain that proves the signing key is a cluster node's (empty when there is none to prove). */
  List<X509Certificate> chain();

  /** The signing key's public half. */
  PublicKey publicKey();

  /**
   * The key to verify a seal made by the signer described by {@code chain} (or, with no chain, by the bare
   * {@code key}), or empty if this node does not trust that signer.
   */
  Optional<PublicKey> trustedSigner(List<X509Certificate> chain, Optional<PublicKey> key);

  /** The signature algorithm for keys of this identity. */
  default String signatureAlgorithm() {
    return "SHA256withECDSA";
  }
}
