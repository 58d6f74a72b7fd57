package dev.agentos.cluster;

import dev.agentos.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One node's cluster credentials, read from {@code cluster.security.credentials_dir}: the CA bundle it trusts
 * ({@value #CA_FILE}, one or more CA certificates: old and new during a CA rotation), its own certificate chain
 * ({@value #CERT_FILE}) and private key ({@value #KEY_FILE}, PKCS#8). Loading checks that the key belongs to
 * the certificate, that the certificate is valid now and was issued by a CA in the bundle, so a node never
 * starts (or rotates) onto credentials its peers would refuse.
 */
public record ClusterCredentials(List<X509Certificate> trustedCas, List<X509Certificate> chain, PrivateKey key,
                                 String fingerprint) {
  public static final String CA_FILE = "ca.pem";
  public static final String CERT_FILE = "node.pem";
  public static final String KEY_FILE = "node-key.pem";
  /** The CA's own private key; only in a CA directory, never in a node's. */
  public static final String CA_KEY_FILE = "ca-key.pem";

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  public ClusterCredentials {
    trustedCas = List.copyOf(trustedCas);
    chain = List.copyOf(chain);
  }

  /** The node's own certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** Reads and checks the three files; any problem is a {@link ConfigException} naming the file. */
  public static ClusterCredentials load(Path dir) {
    String key = "cluster.security.credentials_dir";
    if (!Files.isDirectory(dir)) throw new ConfigException(key, "no such directory: " + dir);
    byte[] caBytes = read(dir.resolve(CA_FILE), key);
    byte[] certBytes = read(dir.resolve(CERT_FILE), key);
    byte[] keyBytes = read(dir.resolve(KEY_FILE), key);
    List<X509Certificate> cas = certificates(caBytes, dir.resolve(CA_FILE), key);
    List<X509Certificate> chain = certificates(certBytes, dir.resolve(CERT_FILE), key);
    PrivateKey privateKey = privateKey(keyBytes, dir.resolve(KEY_FILE), key, chain.get(0).getPublicKey());
    X509Certificate leaf = chain.get(0);
    try {
      leaf.checkValidity();
    } catch (GeneralSecurityException e) {
      throw new ConfigException(key, dir.resolve(CERT_FILE) + ": the node certificate is not valid now (" + e.getMessage()
          + ", valid " + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant() + ")");
    }
    if (cas.stream().noneMatch(ca -> issuedBy(leaf, ca))) {
      throw new ConfigException(key, dir.resolve(CERT_FILE) + ": the node certificate was not issued by a CA in "
          + dir.resolve(CA_FILE) + " (its peers would refuse it)");
    }
    for (X509Certificate ca : cas) {
      if (ca.getBasicConstraints() < 0) {
        throw new ConfigException(key, dir.resolve(CA_FILE) + ": " + ca.getSubjectX500Principal() + " is not a CA certificate");
      }
    }
    return new ClusterCredentials(cas, chain, privateKey, fingerprint(caBytes, certBytes, keyBytes));
  }

  /** A digest of the three files' bytes: equal fingerprints mean nothing changed on disk. */
  public static String fingerprintOf(Path dir) throws IOException {
    return fingerprint(Files.readAllBytes(dir.resolve(CA_FILE)), Files.readAllBytes(dir.resolve(CERT_FILE)),
        Files.readAllBytes(dir.resolve(KEY_FILE)));
  }

  static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
    if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) return false;
    try {
      cert.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] read(Path file, String key) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(key, "cannot read " + file + " (" + e.getClass().getSimpleName() + "); create the "
          + "credentials with `java -jar agentos.jar cluster-credentials`");
    }
  }

  static List<X509Certificate> certificates(byte[] pem, Path file, String key) {
    List<X509Certificate> out = new ArrayList<>();
    Matcher m = PEM.matcher(new String(pem, StandardCharsets.US_ASCII));
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      while (m.find()) {
        if (!m.group(1).equals("CERTIFICATE")) continue;
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new ConfigException(key, file + ": not a valid PEM certificate (" + e.getMessage() + ")");
    }
    if (out.isEmpty()) throw new ConfigException(key, file + ": no PEM certificate in it");
    return out;
  }

  private static PrivateKey privateKey(byte[] pem, Path file, String key, PublicKey certificateKey) {
    Matcher m = PEM.matcher(new String(pem, StandardCharsets.US_ASCII));
    if (!m.find() || !m.group(1).equals("PRIVATE KEY")) {
      throw new ConfigException(key, file + ": expected a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    PrivateKey privateKey;
    try {
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      privateKey = KeyFactory.getInstance(certificateKey.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new ConfigException(key, file + ": not a " + certificateKey.getAlgorithm() + " private key (" + e.getMessage() + ")");
    }
    if (!matches(privateKey, certificateKey)) {
      throw new ConfigException(key, file + ": this private key does not belong to the certificate in " + CERT_FILE);
    }
    return privateKey;
  }

  private static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    try {
      String algorithm = publicKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      byte[] probe = "agentos-key-check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String fingerprint(byte[]... parts) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (byte[] part : parts) {
        sha.update(part);
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
