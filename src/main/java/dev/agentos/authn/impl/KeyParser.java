package dev.agentos.authn.impl;

import dev.agentos.authn.KeyFamily;
import dev.agentos.authn.VerificationKey;
import dev.agentos.config.ConfigException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns configured key material (HMAC secrets, PEM public keys or certificates, {@code file:} paths, JWKS
 * documents) into {@link VerificationKey}s, each bound to one family. Problems are {@link ConfigException}s
 * naming where the key came from, never what it contains.
 */
public final class KeyParser {
  private static final Logger log = LoggerFactory.getLogger(KeyParser.class);
  /** Shortest HMAC secret accepted. RFC 7518 asks for the hash size (32 bytes for HS256); agno's own test
   * secret is 30 bytes, so we refuse below 16 and warn below 32. */
  public static final int MIN_HMAC_SECRET_BYTES = 16;
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

  private KeyParser() {}

  /** A value of {@code verification_keys} (or {@code JWT_VERIFICATION_KEY}). */
  public static VerificationKey parseConfigured(String value, String origin) {
    String material = value;
    if (value.startsWith("file:")) {
      Path path = Path.of(value.substring("file:".length()));
      try {
        material = Files.readString(path, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConfigException(origin, "cannot read key file '" + path + "'");
      }
    }
    if (material.contains("-----BEGIN")) return parsePem(material, origin);
    byte[] secret = material.getBytes(StandardCharsets.UTF_8);
    if (secret.length < MIN_HMAC_SECRET_BYTES) {
      throw new ConfigException(origin, "HMAC secret is shorter than " + MIN_HMAC_SECRET_BYTES + " bytes");
    }
    if (secret.length < 32) {
      log.warn("{}: HMAC secret is shorter than 32 bytes; RFC 7518 recommends at least the hash size", origin);
    }
    return new VerificationKey(KeyFamily.HMAC, new SecretKeySpec(secret, "HmacSHA256"), Optional.empty(),
        Optional.empty(), origin);
  }

  static VerificationKey parsePem(String pem, String origin) {
    Matcher m = PEM.matcher(pem);
    if (!m.find()) throw new ConfigException(origin, "malformed PEM (no matching BEGIN/END lines)");
    String type = m.group(1);
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2).replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(origin, "malformed PEM (bad base64)");
    }
    PublicKey key;
    switch (type) {
      case "PUBLIC KEY":
        key = publicKeyFromSpki(der, origin);
        break;
      case "RSA PUBLIC KEY":
        key = rsaFromPkcs1(der, origin);
        break;
      case "CERTIFICATE":
        try {
          key = CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
        } catch (Exception e) {
          throw new ConfigException(origin, "malformed X.509 certificate");
        }
        break;
      default:
        if (type.contains("PRIVATE")) {
          throw new ConfigException(origin, "is a private key; configure the public key instead");
        }
        throw new ConfigException(origin, "unsupported PEM type '" + type + "'");
    }
    return new VerificationKey(familyOf(key, origin), key, Optional.empty(), Optional.empty(), origin);
  }

  static PublicKey publicKeyFromSpki(byte[] der, String origin) {
    for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
      } catch (Exception ignored) {
        // try the next algorithm
      }
    }
    throw new ConfigException(origin, "not an RSA, EC or Ed25519 public key");
  }

  /** PKCS#1 {@code RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }}. */
  private static PublicKey rsaFromPkcs1(byte[] der, String origin) {
    try {
      DerReader outer = new DerReader(der);
      DerReader seq = outer.sequence();
      BigInteger n = seq.integer();
      BigInteger e = seq.integer();
      return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
    } catch (Exception ex) {
      throw new ConfigException(origin, "malformed RSA PUBLIC KEY");
    }
  }

  static KeyFamily familyOf(PublicKey key, String origin) {
    if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() < 2048) throw new ConfigException(origin, "RSA key shorter than 2048 bits");
      return KeyFamily.RSA;
    }
    if (key instanceof ECPublicKey ec) {
      return ecFamily(ec.getParams(), origin);
    }
    if ("EdDSA".equals(key.getAlgorithm()) || "Ed25519".equals(key.getAlgorithm())) {
      if (key.getEncoded().length != 44) throw new ConfigException(origin, "only Ed25519 is supported for EdDSA");
      return KeyFamily.ED25519;
    }
    throw new ConfigException(origin, "unsupported key type " + key.getAlgorithm());
  }

  private static KeyFamily ecFamily(ECParameterSpec params, String origin) {
    for (KeyFamily family : List.of(KeyFamily.EC_P256, KeyFamily.EC_P384, KeyFamily.EC_P521)) {
      ECParameterSpec named = curve(family);
      if (named.getOrder().equals(params.getOrder()) && named.getCurve().equals(params.getCurve())) return family;
    }
    throw new ConfigException(origin, "EC key is not on P-256, P-384 or P-521");
  }

  static ECParameterSpec curve(KeyFamily family) {
    String name = switch (family) {
      case EC_P256 -> "secp256r1";
      case EC_P384 -> "secp384r1";
      case EC_P521 -> "secp521r1";
      default -> throw new IllegalArgumentException(family.name());
    };
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
      p.init(new ECGenParameterSpec(name));
      return p.getParameterSpec(ECParameterSpec.class);
    } catch (Exception e) {
      throw new IllegalStateException("JDK lacks curve " + name, e);
    }
  }

  /**
   * A JWKS document. Keys marked {@code use: enc} and keys of unknown types are skipped with a warning;
   * duplicate {@code kid}s make the whole set untrusted (which key would a token mean?).
   */
  /** Origins already warned about symmetric keys: one warning per source, not one per refresh. */
  private static final Set<String> SYMMETRIC_WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public static List<VerificationKey> parseJwks(String json, String origin) {
    JsonObject doc;
    try {
      doc = new JsonObject(json);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException(origin, "invalid JSON in JWKS");
    }
    Object keysValue = doc.getValue("keys");
    if (!(keysValue instanceof JsonArray keys)) throw new ConfigException(origin, "JWKS has no \"keys\" array");
    List<VerificationKey> out = new ArrayList<>();
    Set<String> kids = new HashSet<>();
    int symmetric = 0;
    for (int i = 0; i < keys.size(); i++) {
      String where = origin + ".keys[" + i + "]";
      if (!(keys.getValue(i) instanceof JsonObject jwk)) throw new ConfigException(where, "not a JSON object");
      Object kid = jwk.getValue("kid");
      if (kid != null && !(kid instanceof String)) throw new ConfigException(where, "kid is not a string");
      if (kid != null && !kids.add((String) kid)) {
        throw new ConfigException(where, "duplicate kid '" + kid + "'; the key set is not trusted");
      }
      if ("enc".equals(jwk.getValue("use"))) {
        log.warn("{}: skipped a key with use=enc", where);
        continue;
      }
      // A JWKS is a publication format: a shared secret in it is a secret published to everyone who can read it
      if ("oct".equals(jwk.getValue("kty"))) {
        symmetric++;
        continue;
      }
      Optional<VerificationKey> key = parseJwk(jwk, where);
      key.ifPresent(out::add);
    }
    if (symmetric > 0 && SYMMETRIC_WARNED.add(origin)) {
      log.warn("{}: skipped {} symmetric key(s) (kty oct): a JWKS is published, so its keys never verify HS* tokens; "
          + "configure HMAC secrets in authorization.verification_keys or JWT_VERIFICATION_KEY", origin, symmetric);
    }
    return List.copyOf(out);
  }

  static Optional<VerificationKey> parseJwk(JsonObject jwk, String where) {
    Object ktyValue = jwk.getValue("kty");
    if (!(ktyValue instanceof String kty)) throw new ConfigException(where, "missing kty");
    Optional<String> kid = Optional.ofNullable((String) jwk.getValue("kid"));
    Object algValue = jwk.getValue("alg");
    if (algValue != null && !(algValue instanceof String)) throw new ConfigException(where, "alg is not a string");
    Optional<String> alg = Optional.ofNullable((String) algValue);
    try {
      switch (kty) {
        case "oct": {
          byte[] k = b64(jwk, "k", where);
          if (k.length < MIN_HMAC_SECRET_BYTES) throw new ConfigException(where, "HMAC key shorter than " + MIN_HMAC_SECRET_BYTES + " bytes");
          return Optional.of(check(new VerificationKey(KeyFamily.HMAC, new SecretKeySpec(k, "HmacSHA256"), kid, alg, where)));
        }
        case "RSA": {
          PublicKey key = KeyFactory.getInstance("RSA").generatePublic(
              new RSAPublicKeySpec(new BigInteger(1, b64(jwk, "n", where)), new BigInteger(1, b64(jwk, "e", where))));
          return Optional.of(check(new VerificationKey(familyOf(key, where), key, kid, alg, where)));
        }
        case "EC": {
          KeyFamily family = switch (String.valueOf(jwk.getValue("crv"))) {
            case "P-256" -> KeyFamily.EC_P256;
            case "P-384" -> KeyFamily.EC_P384;
            case "P-521" -> KeyFamily.EC_P521;
            default -> throw new ConfigException(where, "unsupported EC curve");
          };
          ECPoint point = new ECPoint(new BigInteger(1, b64(jwk, "x", where)), new BigInteger(1, b64(jwk, "y", where)));
          PublicKey key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, curve(family)));
          return Optional.of(check(new VerificationKey(family, key, kid, alg, where)));
        }
        case "OKP": {
          if (!"Ed25519".equals(jwk.getValue("crv"))) throw new ConfigException(where, "unsupported OKP curve");
          byte[] x = b64(jwk, "x", where);
          if (x.length != 32) throw new ConfigException(where, "Ed25519 x must be 32 bytes");
          byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
          System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
          System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, 32);
          PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
          return Optional.of(check(new VerificationKey(KeyFamily.ED25519, key, kid, alg, where)));
        }
        default:
          log.warn("{}: skipped a key of unsupported type '{}'", where, kty);
          return Optional.empty();
      }
    } catch (ConfigException e) {
      throw e;
    } catch (Exception e) {
      throw new ConfigException(where, "malformed " + kty + " key");
    }
  }

  private static VerificationKey check(VerificationKey key) {
    if (key.alg().isPresent() && !key.family().accepts(key.alg().get())) {
      throw new ConfigException(key.origin(), "alg '" + key.alg().get() + "' does not fit a " + key.family() + " key");
    }
    return key;
  }

  private static byte[] b64(JsonObject jwk, String field, String where) {
    Object v = jwk.getValue(field);
    if (!(v instanceof String s) || s.isEmpty()) throw new ConfigException(where, "missing " + field);
    try {
      return Base64.getUrlDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where, field + " is not base64url");
    }
  }

  public static byte[] ed25519SpkiPrefix() {
    return ED25519_SPKI_PREFIX.clone();
  }

  /** Just enough DER to read PKCS#1 RSA public keys. */
  private static final class DerReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    DerReader(byte[] buf) {
      this(buf, 0, buf.length);
    }

    private DerReader(byte[] buf, int pos, int end) {
      this.buf = buf;
      this.pos = pos;
      this.end = end;
    }

    private int length() {
      int b = buf[pos++] & 0xff;
      if (b < 0x80) return b;
      int n = b & 0x7f;
      if (n > 4) throw new IllegalArgumentException("length too long");
      int len = 0;
      for (int i = 0; i < n; i++) len = (len << 8) | (buf[pos++] & 0xff);
      return len;
    }

    DerReader sequence() {
      if (buf[pos++] != 0x30) throw new IllegalArgumentException("not a sequence");
      int len = length();
      if (pos + len > end) throw new IllegalArgumentException("truncated");
      DerReader inner = new DerReader(buf, pos, pos + len);
      pos += len;
      return inner;
    }

    BigInteger integer() {
      if (buf[pos++] != 0x02) throw new IllegalArgumentException("not an integer");
      int len = length();
      if (pos + len > end) throw new IllegalArgumentException("truncated");
      byte[] v = new byte[len];
      System.arraycopy(buf, pos, v, 0, len);
      pos += len;
      return new BigInteger(v);
    }
  }
}
