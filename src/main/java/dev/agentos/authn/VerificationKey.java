package dev.agentos.authn;

import java.security.Key;
import java.util.Optional;

/**
 * One usable key: its family, the key itself, an optional {@code kid} (JWKS), an optional pinned {@code alg}
 * (a JWK's own "alg"), and where it came from (for start-up messages; never the key material).
 */
public record VerificationKey(KeyFamily family, Key key, Optional<String> kid, Optional<String> alg, String origin) {

  public boolean accepts(String tokenAlg) {
    return family.accepts(tokenAlg) && alg.map(tokenAlg::equals).orElse(true);
  }

  @Override
  public String toString() {
    return "VerificationKey[" + family + ", kid=" + kid.orElse("-") + ", from " + origin + "]";
  }
}
