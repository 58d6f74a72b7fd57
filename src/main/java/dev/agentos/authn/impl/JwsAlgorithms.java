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
        byte[] der = ecdsaRawToDer(signature, (ECKey) key, alg);
        if (der == null) return false;
        Signature s = Signature.getInstance(jcaName(alg));
        s.initVerify((PublicKey) key);
        s.update(signingInput);
        return s.verify(der);
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
        return ecdsaDerToRaw(s.sign(), componentLength(alg));
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
      case "ES256" -> "SHA256withECDSA";
      case "ES384" -> "SHA384withECDSA";
      case "ES512" -> "SHA512withECDSA";
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
   * JWS carries R||S of fixed length; the JDK wants DER. Wrong lengths and out-of-range values (0, ≥ n)
   * are refused here rather than trusted to the provider (CVE-2022-21449 accepted r = s = 0).
   */
  static byte[] ecdsaRawToDer(byte[] raw, ECKey key, String alg) {
    int n = componentLength(alg);
    if (raw.length != 2 * n) return null;
    BigInteger order = key.getParams().getOrder();
    BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(raw, 0, n));
    BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(raw, n, 2 * n));
    if (r.signum() <= 0 || s.signum() <= 0 || r.compareTo(order) >= 0 || s.compareTo(order) >= 0) return null;
    byte[] rb = r.toByteArray();
    byte[] sb = s.toByteArray();
    int seqLen = 2 + rb.length + 2 + sb.length;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(seqLen + 3);
    out.write(0x30);
    writeLength(out, seqLen);
    out.write(0x02);
    writeLength(out, rb.length);
    out.write(rb, 0, rb.length);
    out.write(0x02);
    writeLength(out, sb.length);
    out.write(sb, 0, sb.length);
    return out.toByteArray();
  }

  private static void writeLength(java.io.ByteArrayOutputStream out, int len) {
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len & 0xff);
    }
  }

  static byte[] ecdsaDerToRaw(byte[] der, int n) {
    int pos = 2;
    if ((der[1] & 0xff) == 0x81) pos = 3;
    int rLen = der[pos + 1];
    byte[] r = java.util.Arrays.copyOfRange(der, pos + 2, pos + 2 + rLen);
    pos = pos + 2 + rLen;
    int sLen = der[pos + 1];
    byte[] s = java.util.Arrays.copyOfRange(der, pos + 2, pos + 2 + sLen);
    byte[] out = new byte[2 * n];
    copyUnsigned(r, out, 0, n);
    copyUnsigned(s, out, n, n);
    return out;
  }

  private static void copyUnsigned(byte[] src, byte[] dst, int off, int n) {
    int start = 0;
    while (start < src.length - 1 && src[start] == 0) start++;
    int len = src.length - start;
    System.arraycopy(src, start, dst, off + n - len, len);
  }
}
