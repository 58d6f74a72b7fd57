package dev.agentos.authn;

import dev.agentos.authn.impl.StrictJson;

import dev.agentos.authn.impl.JwsAlgorithms;
import dev.agentos.config.AgentOsConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies a compact JWS/JWT and its registered claims, with agno's error texts (docs/authentication.md) and the
 * stricter rules of docs/authentication.md. Thread-safe: the key set is an immutable value swapped atomically.
 */
public final class JwtVerifier {
  /** Tokens longer than this are refused before any decoding. */
  public static final int MAX_TOKEN_CHARS = 8_192;
  private static final Set<String> SUPPORTED_CRIT = Set.of();
  private static final Base64.Encoder CANONICAL = Base64.getUrlEncoder().withoutPadding();

  private final AgentOsConfig.Authorization config;
  private final List<String> expectedAudience;
  private volatile KeySet keys;

  public JwtVerifier(AgentOsConfig.Authorization config, List<String> expectedAudience, KeySet keys) {
    this.config = config;
    this.expectedAudience = List.copyOf(expectedAudience);
    this.keys = keys;
  }

  public void updateKeys(KeySet newKeys) {
    this.keys = newKeys;
  }

  public KeySet keys() {
    return keys;
  }

  private static final List<String> STRING_HEADER_PARAMETERS = List.of("kid", "typ", "cty", "jku", "x5u");
  /** 9999-12-31T23:59:59Z: a NumericDate beyond it is not a date any issuer means (RFC 7519 §2, ISO 8601). */
  static final long LATEST_NUMERIC_DATE = 253_402_300_799L;

  /** The parts of a token, decoded but not yet trusted. */
  public record Decoded(JsonObject header, JsonObject payload, byte[] signingInput, byte[] signature, String alg) {}

  /** Structural decoding only; throws {@link AuthenticationException} with agno's texts. */
  public static Decoded decode(String token) {
    if (token.length() > MAX_TOKEN_CHARS) throw AuthenticationException.invalid("Token is too large");
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (first < 0 || second < 0) throw AuthenticationException.invalid("Not enough segments");
    if (token.indexOf('.', second + 1) >= 0) throw AuthenticationException.invalid("Too many segments");
    JsonObject header = jsonSegment(token.substring(0, first), "header");
    JsonObject payload = jsonSegment(token.substring(first + 1, second), "payload");
    byte[] signature = base64url(token.substring(second + 1), "crypto");
    Object alg = header.getValue("alg");
    if (!(alg instanceof String algName)) throw AuthenticationException.invalid("The specified alg value is not allowed");
    // parameters that select a key or say what the token is must be strings when present (null included);
    // jku and x5u are never followed, but a token that carries a non-string one is malformed all the same
    for (String parameter : STRING_HEADER_PARAMETERS) {
      if (header.containsKey(parameter) && !(header.getValue(parameter) instanceof String)) {
        throw AuthenticationException.invalid("Invalid '" + parameter + "' header: must be a string");
      }
    }
    return new Decoded(header, payload, token.substring(0, second).getBytes(StandardCharsets.US_ASCII), signature, algName);
  }

  /** Verifies signature and claims; returns the payload. */
  public JsonObject verify(String token, long nowEpochSeconds) {
    Decoded d = decode(token);
    String alg = d.alg();
    if (alg.toLowerCase(Locale.ROOT).equals("none") || !config.algorithms().contains(alg)) {
      throw AuthenticationException.invalid("The specified alg value is not allowed");
    }
    checkCrit(d.header());
    verifySignature(d, alg);
    checkClaims(d.payload(), nowEpochSeconds);
    return d.payload();
  }

  /** validate: false. Only structure; no signature, time or audience checks (agno §1.3). */
  public static JsonObject decodeUnverified(String token) {
    return decode(token).payload();
  }

  private static void checkCrit(JsonObject header) {
    if (!header.containsKey("crit")) return;
    Object crit = header.getValue("crit");
    if (!(crit instanceof JsonArray list) || list.isEmpty()) throw AuthenticationException.invalid("Invalid 'crit' header");
    for (Object name : list) {
      if (!(name instanceof String s) || !SUPPORTED_CRIT.contains(s)) {
        throw AuthenticationException.invalid("Unsupported critical extension");
      }
    }
  }

  static final String NO_KID = "No verification keys configured: the token has no 'kid' header, and the key set"
      + " (jwks_file, jwks_url) chooses its key by kid";

  private void verifySignature(Decoded d, String alg) {
    KeySet current = keys;
    Object kidValue = d.header().getValue("kid");
    if (kidValue != null && !(kidValue instanceof String)) throw AuthenticationException.invalid("Key ID header parameter must be a string");
    Optional<String> kid = Optional.ofNullable((String) kidValue);

    List<VerificationKey> candidates = new ArrayList<>(2);
    if (!current.jwksKeys().isEmpty()) {
      current.jwksKeyFor(kid).filter(k -> k.accepts(alg)).ifPresent(candidates::add);
    }
    for (VerificationKey k : current.staticKeys()) if (k.accepts(alg)) candidates.add(k);
    if (candidates.isEmpty()) {
      if (current.staticKeys().isEmpty() && kid.isEmpty() && !current.jwksKeys().isEmpty()) {
        // agno's words, and why: a set whose keys all have a kid cannot choose one for a token without
        throw AuthenticationException.invalid(NO_KID);
      }
      if (current.staticKeys().isEmpty()) throw AuthenticationException.invalid("No verification keys configured");
      throw AuthenticationException.invalid("The specified alg value is not allowed");
    }
    for (VerificationKey k : candidates) {
      try {
        if (JwsAlgorithms.verify(alg, k.key(), d.signingInput(), d.signature())) return;
      } catch (Exception e) {
        // a key that cannot check this signature simply does not verify it
      }
    }
    throw AuthenticationException.invalid("Signature verification failed");
  }

  private void checkClaims(JsonObject p, long now) {
    long leeway = config.leewaySeconds();
    Long iat = numericDate(p, "iat", "Issued At claim (iat) must be an integer.");
    Long nbf = numericDate(p, "nbf", "Not Before claim (nbf) must be an integer.");
    Long exp = numericDate(p, "exp", "Expiration Time claim (exp) must be an integer.");
    if (iat != null && iat > now + leeway) throw AuthenticationException.invalid("The token is not yet valid (iat)");
    if (nbf != null && nbf > now + leeway) throw AuthenticationException.invalid("The token is not yet valid (nbf)");
    if (exp == null && config.requireExp()) throw AuthenticationException.invalid("Token is missing the \"exp\" claim");
    if (exp != null && exp <= now - leeway) throw new AuthenticationException("Token has expired");
    if (config.maxTokenLifetimeSeconds().isPresent()) {
      long max = config.maxTokenLifetimeSeconds().get();
      if (exp == null || exp - now > max + leeway) {
        throw AuthenticationException.invalid("Token lifetime exceeds the allowed maximum of " + max + " seconds");
      }
    }
    if (p.containsKey("sub") && !(p.getValue("sub") instanceof String)) throw AuthenticationException.invalid("Subject must be a string");
    if (config.issuer().isPresent()) {
      Object iss = p.getValue("iss");
      if (iss == null) throw AuthenticationException.invalid("Token is missing the \"iss\" claim");
      if (!(iss instanceof String) || !iss.equals(config.issuer().get())) throw AuthenticationException.invalid("Invalid issuer");
    }
    if (config.verifyAudience() && !expectedAudience.isEmpty()) checkAudience(p);
  }

  private void checkAudience(JsonObject p) {
    Object aud = p.getValue("aud");
    if (aud == null) {
      throw AuthenticationException.invalid("Token is missing the \"aud\" claim. Audience verification requires this claim to be present in the token.");
    }
    List<String> audiences = new ArrayList<>();
    if (aud instanceof String s) {
      audiences.add(s);
    } else if (aud instanceof JsonArray arr) {
      for (Object o : arr) {
        if (!(o instanceof String s)) throw AuthenticationException.invalid("Invalid claim format in token");
        audiences.add(s);
      }
    } else {
      throw AuthenticationException.invalid("Invalid claim format in token");
    }
    for (String a : audiences) {
      if (expectedAudience.contains(a)) return;
    }
    throw new AuthenticationException("Invalid token audience - token not valid for this AgentOS instance");
  }

  /**
   * exp/nbf/iat must be JSON numbers that are dates (RFC 7519 NumericDate): finite, no later than the year 9999
   * (an {@code exp} of 2^63-1 means "never", which the service does not accept) and whole seconds. RFC 7519 would
   * allow fractions; a fraction is refused because no issuer we interoperate with writes one and a lenient reading
   * is where parsers disagree (a value written as a float but integral, 1.0E10, is a whole second). Anything else is
   * a 401, never a 500.
   */
  private static Long numericDate(JsonObject p, String claim, String typeError) {
    if (!p.containsKey(claim)) return null;
    Object v = p.getValue(claim);
    long value;
    if (v instanceof Integer || v instanceof Long) {
      value = ((Number) v).longValue();
    } else if (v instanceof Double d && Double.isFinite(d) && Math.abs(d) <= LATEST_NUMERIC_DATE + 1) {
      if (d != Math.rint(d)) throw AuthenticationException.invalid("The " + claim + " claim is not a whole number of seconds");
      value = d.longValue();
    } else if (v instanceof Double) {
      throw AuthenticationException.invalid("The " + claim + " claim is not a date before the year 10000");
    } else {
      throw AuthenticationException.invalid(typeError);
    }
    if (value > LATEST_NUMERIC_DATE || value < -LATEST_NUMERIC_DATE) {
      throw AuthenticationException.invalid("The " + claim + " claim is not a date before the year 10000");
    }
    return value;
  }

  /** A header or claims set: strict I-JSON ({@link StrictJson}), exactly one object. */
  private static JsonObject jsonSegment(String segment, String name) {
    byte[] bytes = base64url(segment, name);
    try {
      return StrictJson.object(bytes);
    } catch (StrictJson.Refused e) {
      if ("not a JSON object".equals(e.getMessage()) || "malformed JSON".equals(e.getMessage())) {
        throw AuthenticationException.invalid("Invalid " + name + " string: must be a json object");
      }
      throw AuthenticationException.invalid("Invalid " + name + ": " + e.getMessage());
    }
  }

  private static byte[] base64url(String segment, String name) {
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) throw AuthenticationException.invalid("Invalid " + name + " padding");
    }
    if (segment.length() % 4 == 1) throw AuthenticationException.invalid("Invalid " + name + " padding");
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(segment);
    } catch (IllegalArgumentException e) {
      throw AuthenticationException.invalid("Invalid " + name + " padding");
    }
    // Non-zero trailing bits decode to the same bytes: refuse them, so one token has exactly one spelling.
    if (!CANONICAL.encodeToString(bytes).equals(segment)) throw AuthenticationException.invalid("Invalid " + name + " padding");
    return bytes;
  }
}
