package dev.agentos.authn.impl;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * JWS signing and verification (RFC 7515/7518/8037) on the JDK's providers. A fresh {@link Signature} or
 * {@link Mac} per call: no shared lock between threads, unlike a provider that synchronises on one instance
 * per key.
 */
public final class JwsAlgorithms {
  private JwsAlgorithms() {}

  public static boolean verify(String alg, Key key, byte[] signingInput, byte[] signature) throws GeneralSecurityException {
    switch (alg) {
      case "HS256":
      case "HS384":
      case "HS512": {
        byte[] expected = hmac(alg, key.getEncoded(), signingInput);
        return MessageDigest.isEqual(expected, signature);
      }
      case "ES256":
      case "ES384":
      case "ES512": {
        if (!inRange(signature, (ECKey) key, alg)) return false;
        Signature s = Signature.getInstance(jcaName(alg));
        s.initVerify((PublicKey) key);
        s.update(signingInput);
        return s.verify(signature);
      }
      case "EdDSA": {
        // The JDK's Ed25519 ignores bytes after the 64th; a JWS signature is exactly 64 bytes.
        if (signature.length != 64) return false;
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify((PublicKey) key);
        s.update(signingInput);
        return s.verify(signature);
      }
      default: {
        Signature s = signatureFor(alg);
        s.initVerify((PublicKey) key);
        s.update(signingInput);
        return s.verify(signature);
      }
    }
  }

  public static byte[] sign(String alg, Key key, byte[] signingInput) throws GeneralSecurityException {
    switch (alg) {
      case "HS256":
      case "HS384":
      case "HS512":
        return hmac(alg, key.getEncoded(), signingInput);
      case "ES256":
      case "ES384":
      case "ES512": {
        Signature s = Signature.getInstance(jcaName(alg));
        s.initSign((PrivateKey) key);
        s.update(signingInput);
        return s.sign();
      }
      default: {
        Signature s = signatureFor(alg);
        s.initSign((PrivateKey) key);
        s.update(signingInput);
        return s.sign();
      }
    }
  }

  private static byte[] hmac(String alg, byte[] secret, byte[] input) throws GeneralSecurityException {
    String name = "Hmac" + "SHA" + alg.substring(2);
    Mac mac = Mac.getInstance(name);
    mac.init(new SecretKeySpec(secret, name));
    return mac.doFinal(input);
  }

  private static Signature signatureFor(String alg) throws GeneralSecurityException {
    if (alg.startsWith("PS")) {
      String hash = "SHA-" + alg.substring(2);
      int saltLength = Integer.parseInt(alg.substring(2)) / 8;
      Signature s = Signature.getInstance("RSASSA-PSS");
      s.setParameter(new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), saltLength, 1));
      return s;
    }
    return Signature.getInstance(jcaName(alg));
  }

  private static String jcaName(String alg) {
    return switch (alg) {
      case "RS256" -> "SHA256withRSA";
      case "RS384" -> "SHA384withRSA";
      case "RS512" -> "SHA512withRSA";
      // JWS carries R||S (IEEE P1363), not DER
      case "ES256" -> "SHA256withECDSAinP1363Format";
      case "ES384" -> "SHA384withECDSAinP1363Format";
      case "ES512" -> "SHA512withECDSAinP1363Format";
      case "EdDSA" -> "Ed25519";
      default -> throw new IllegalArgumentException("unsupported alg");
    };
  }

  static int componentLength(String alg) {
    return switch (alg) {
      case "ES256" -> 32;
      case "ES384" -> 48;
      case "ES512" -> 66;
      default -> throw new IllegalArgumentException(alg);
    };
  }

  /**
   * R||S must have exactly the curve's length, and R and S must lie in [1, n-1]: checked here rather than
   * trusted to the provider (CVE-2022-21449 accepted r = s = 0).
   */
  static boolean inRange(byte[] raw, ECKey key, String alg) {
    int n = componentLength(alg);
    if (raw.length != 2 * n) return false;
    BigInteger order = key.getParams().getOrder();
    BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(raw, 0, n));
    BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(raw, n, 2 * n));
    return r.signum() > 0 && s.signum() > 0 && r.compareTo(order) < 0 && s.compareTo(order) < 0;
  }
}
