package dev.agentos.authn;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys a verifier trusts at one moment: static keys (tried in order) and JWKS keys (selected by
 * {@code kid}, with the last kid-less key as agno's {@code _default}). Immutable; rotation swaps the whole set.
 */
public final class KeySet {
  private final List<VerificationKey> staticKeys;
  private final List<VerificationKey> jwksKeys;
  private final Map<String, VerificationKey> byKid;
  private final VerificationKey defaultJwksKey;

  public KeySet(List<VerificationKey> staticKeys, List<VerificationKey> jwksKeys) {
    this.staticKeys = List.copyOf(staticKeys);
    this.jwksKeys = List.copyOf(jwksKeys);
    Map<String, VerificationKey> map = new HashMap<>();
    VerificationKey def = null;
    for (VerificationKey k : jwksKeys) {
      if (k.kid().isPresent()) map.put(k.kid().get(), k);
      else def = k;
    }
    this.byKid = Map.copyOf(map);
    this.defaultJwksKey = def;
  }

  public List<VerificationKey> staticKeys() {
    return staticKeys;
  }

  public List<VerificationKey> jwksKeys() {
    return jwksKeys;
  }

  public boolean isEmpty() {
    return staticKeys.isEmpty() && jwksKeys.isEmpty();
  }

  /** The JWKS key for a token's kid, falling back to the kid-less default (agno §1.7). */
  public Optional<VerificationKey> jwksKeyFor(Optional<String> kid) {
    if (kid.isPresent()) {
      VerificationKey k = byKid.get(kid.get());
      if (k != null) return Optional.of(k);
    }
    return Optional.ofNullable(defaultJwksKey);
  }

  public boolean knowsKid(String kid) {
    return byKid.containsKey(kid);
  }

  public KeySet withJwks(List<VerificationKey> jwks) {
    return new KeySet(staticKeys, jwks);
  }
}
