package dev.agentos.bench;

import dev.agentos.authn.ClaimMapper;
import dev.agentos.authn.JwtVerifier;
import dev.agentos.authn.KeySet;
import dev.agentos.contract.Principal;
import dev.agentos.authn.TokenSigner;
import dev.agentos.authn.VerifiedTokenCache;
import dev.agentos.authn.impl.KeyParser;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** JWT verification (signature and claims, then the principal) per algorithm, and the verified-token cache hit. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class JwtBenchmark {
  @Param({"HS256", "RS256", "ES256", "EdDSA"})
  public String alg;

  private static final String SECRET = "benchmark-secret-of-at-least-32-bytes!";
  private JwtVerifier verifier;
  private ClaimMapper mapper;
  private VerifiedTokenCache cache;
  private String token;
  private String cacheKey;

  @Setup
  public void setup() {
    String key;
    java.security.Key signing;
    if (alg.equals("HS256")) {
      key = SECRET;
      signing = TokenSigner.hmacKey(SECRET);
    } else {
      KeyPair pair = TokenSigner.generate(alg);
      key = TokenSigner.pem("PUBLIC KEY", pair.getPublic().getEncoded());
      signing = pair.getPrivate();
    }
    AgentOsConfig.Authorization config = ConfigLoader.fromJson(new JsonObject().put("authorization", new JsonObject()
        .put("algorithms", new JsonArray().add(alg)).put("verification_keys", new JsonArray().add(key))), Map.of()).authorization();
    verifier = new JwtVerifier(config, List.of(), new KeySet(List.of(KeyParser.parseConfigured(key, "bench")), List.of()));
    mapper = new ClaimMapper(config);
    long now = System.currentTimeMillis() / 1000;
    token = TokenSigner.sign(alg, signing, Optional.empty(), new JsonObject().put("sub", "alice").put("iat", now)
        .put("exp", now + 3600).put("scopes", new JsonArray().add("agents:read").add("agents:a1:run")));
    cache = new VerifiedTokenCache(10_000);
    cacheKey = VerifiedTokenCache.keyOf(token);
    cache.put(cacheKey, verifyUncached());
  }

  @Benchmark
  public Principal verifyUncached() {
    return mapper.toPrincipal(verifier.verify(token, System.currentTimeMillis() / 1000), Principal.Kind.JWT);
  }

  /** What a repeated token costs on the request path: hashing it and one cache lookup. */
  @Benchmark
  public Principal verifyCached() {
    return cache.get(VerifiedTokenCache.keyOf(token));
  }
}
