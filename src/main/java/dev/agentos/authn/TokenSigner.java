package dev.agentos.authn;

import dev.agentos.authn.impl.JwsAlgorithms;
import dev.agentos.authn.impl.KeyParser;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs JWTs (the token tool, dev mode's admin token, tests) and generates key pairs (keygen). The same
 * JWS code the verifier uses, so what we mint is exactly what we accept.
 */
public final class TokenSigner {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private TokenSigner() {}

  public static String sign(String alg, Key key, Optional<String> kid, JsonObject claims) {
    JsonObject header = new JsonObject().put("alg", alg).put("typ", "JWT");
    kid.ifPresent(k -> header.put("kid", k));
    return signRaw(header, claims, alg, key);
  }

  /** Signs an arbitrary header (tests use it for hostile headers). */
  public static String signRaw(JsonObject header, JsonObject claims, String alg, Key key) {
    String input = B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    try {
      byte[] sig = JwsAlgorithms.sign(alg, key, input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with " + alg + ": " + e.getMessage(), e);
    }
  }

  public static Key hmacKey(String secret) {
    return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  /** A PKCS#8 PEM private key (RSA, EC or Ed25519). */
  public static Key privateKeyFromPem(String pem) {
    String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(body);
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (Exception ignored) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("not a PKCS#8 RSA, EC or Ed25519 private key");
  }

  public static KeyPair generate(String alg) {
    try {
      KeyPairGenerator gen;
      switch (alg) {
        case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512" -> {
          gen = KeyPairGenerator.getInstance("RSA");
          gen.initialize(2048);
        }
        case "ES256", "ES384", "ES512" -> {
          gen = KeyPairGenerator.getInstance("EC");
          gen.initialize(new ECGenParameterSpec(switch (alg) {
            case "ES256" -> "secp256r1";
            case "ES384" -> "secp384r1";
            default -> "secp521r1";
          }));
        }
        case "EdDSA" -> gen = KeyPairGenerator.getInstance("Ed25519");
        default -> throw new IllegalArgumentException("keygen supports RS*, PS*, ES* and EdDSA, not " + alg);
      }
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(String type, byte[] der) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
  }

  /** The public JWK of a key (RFC 7517/7518/8037). */
  public static JsonObject publicJwk(PublicKey key, String alg, String kid) {
    JsonObject jwk = new JsonObject().put("kid", kid).put("alg", alg).put("use", "sig");
    if (key instanceof RSAPublicKey rsa) {
      return jwk.put("kty", "RSA").put("n", b64u(rsa.getModulus())).put("e", b64u(rsa.getPublicExponent()));
    }
    if (key instanceof ECPublicKey ec) {
      int size = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
      String crv = switch (size) {
        case 32 -> "P-256";
        case 48 -> "P-384";
        default -> "P-521";
      };
      return jwk.put("kty", "EC").put("crv", crv).put("x", fixed(ec.getW().getAffineX(), size))
          .put("y", fixed(ec.getW().getAffineY(), size));
    }
    byte[] spki = key.getEncoded();
    byte[] prefix = KeyParser.ed25519SpkiPrefix();
    if (spki.length == prefix.length + 32 && Arrays.equals(Arrays.copyOf(spki, prefix.length), prefix)) {
      return jwk.put("kty", "OKP").put("crv", "Ed25519").put("x", B64.encodeToString(Arrays.copyOfRange(spki, prefix.length, spki.length)));
    }
    throw new IllegalArgumentException("unsupported public key " + key.getAlgorithm());
  }

  private static String b64u(BigInteger v) {
    byte[] bytes = v.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    return B64.encodeToString(bytes);
  }

  private static String fixed(BigInteger v, int size) {
    byte[] bytes = v.toByteArray();
    byte[] out = new byte[size];
    int start = Math.max(0, bytes.length - size);
    System.arraycopy(bytes, start, out, size - (bytes.length - start), bytes.length - start);
    return B64.encodeToString(out);
  }
}
