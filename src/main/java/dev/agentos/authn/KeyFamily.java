package dev.agentos.authn;

import java.util.Set;

/**
 * What a verification key can verify. Each key is bound to exactly one family (docs/authentication.md), so an RSA
 * public key can never be used as an HMAC secret, and a P-256 key never verifies an ES384 token.
 */
public enum KeyFamily {
  HMAC(Set.of("HS256", "HS384", "HS512")),
  RSA(Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")),
  EC_P256(Set.of("ES256")),
  EC_P384(Set.of("ES384")),
  EC_P521(Set.of("ES512")),
  ED25519(Set.of("EdDSA"));

  private final Set<String> algorithms;

  KeyFamily(Set<String> algorithms) {
    this.algorithms = algorithms;
  }

  public boolean accepts(String alg) {
    return algorithms.contains(alg);
  }

  public Set<String> algorithms() {
    return algorithms;
  }
}
