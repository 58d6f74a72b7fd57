package dev.agentos.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Creates a cluster CA and issues node credentials from it ({@code java -jar agentos.jar cluster-credentials}).
 * Keys are ECDSA P-256 (cheap handshakes); every file is written with mode 0600 in a 0700 directory. A node's
 * directory holds the CA bundle, its certificate and its key, never the CA's key.
 */
public final class CredentialsIssuer {
  /** The organizational unit of every certificate this tool issues to a node of the service. */
  public static final String NODE_UNIT = "agentos-node";

  private static final SecureRandom RANDOM = new SecureRandom();

  private CredentialsIssuer() {}

  /** Writes a new CA ({@code ca.pem}, {@code ca-key.pem}) into {@code dir}. */
  public static void createCa(Path dir, String clusterName, Duration validity) {
    KeyPair pair = newKeyPair();
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "AgentOS cluster " + clusterName)
        .addRDN(BCStyle.CN, "AgentOS cluster CA " + clusterName + " " + Instant.now().getEpochSecond()).build();
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(300)),
          Date.from(now.plus(validity)), subject, pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate ca = sign(builder, pair.getPrivate());
      writePrivate(dir, ClusterCredentials.CA_FILE, pem("CERTIFICATE", ca.getEncoded()));
      writePrivate(dir, ClusterCredentials.CA_KEY_FILE, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("could not create the cluster CA: " + e.getMessage(), e);
    }
  }

  /**
   * Issues a node certificate from the CA in {@code caDir} and writes the node's credentials directory: the CA
   * bundle (the CA's {@code ca.pem} as it is, so a bundle of old and new CAs carries over), the certificate
   * chain and the key.
   */
  public static void issueNode(Path caDir, Path nodeDir, String nodeName, Duration validity) {
    try {
      List<X509Certificate> bundle = ClusterCredentials.certificates(Files.readAllBytes(caDir.resolve(ClusterCredentials.CA_FILE)),
          caDir.resolve(ClusterCredentials.CA_FILE), "--ca");
      PrivateKey caKey = readPrivateKey(caDir.resolve(ClusterCredentials.CA_KEY_FILE));
      // the signing CA is the one whose key we hold (a bundle may list an older CA too)
      X509Certificate ca = bundle.stream().filter(c -> keyBelongsTo(caKey, c)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(caDir.resolve(ClusterCredentials.CA_KEY_FILE)
              + " does not belong to any certificate in " + caDir.resolve(ClusterCredentials.CA_FILE)));
      KeyPair pair = newKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, orgOf(ca)).addRDN(BCStyle.OU, NODE_UNIT)
          .addRDN(BCStyle.CN, nodeName).build();
      Instant now = Instant.now();
      Instant notAfter = now.plus(validity).isAfter(ca.getNotAfter().toInstant()) ? ca.getNotAfter().toInstant() : now.plus(validity);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(now.minusSeconds(300)),
          Date.from(notAfter), subject, pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, nodeName)))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      X509Certificate node = sign(builder, caKey);
      writePrivate(nodeDir, ClusterCredentials.CA_FILE, Files.readString(caDir.resolve(ClusterCredentials.CA_FILE)));
      writePrivate(nodeDir, ClusterCredentials.CERT_FILE, pem("CERTIFICATE", node.getEncoded()) + pem("CERTIFICATE", ca.getEncoded()));
      writePrivate(nodeDir, ClusterCredentials.KEY_FILE, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("could not issue node credentials: " + e.getMessage(), e);
    }
  }

  private static String orgOf(X509Certificate ca) {
    for (String part : ca.getSubjectX500Principal().getName().split(",")) {
      if (part.startsWith("O=")) return part.substring(2);
    }
    return "AgentOS cluster";
  }

  private static boolean keyBelongsTo(PrivateKey key, X509Certificate cert) {
    try {
      java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(new byte[] {1});
      byte[] sig = signer.sign();
      java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(cert.getPublicKey());
      verifier.update(new byte[] {1});
      return verifier.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is always available", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    } catch (java.security.cert.CertificateException e) {
      throw e;
    }
  }

  private static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    String body = text.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** Writes {@code text} to {@code dir/name} with mode 0600 (the directory 0700), replacing it atomically. */
  static void writePrivate(Path dir, String name, String text) {
    try {
      Files.createDirectories(dir);
      // on a file system without POSIX permissions (Windows) the directory's ACL applies instead
      boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
      if (posix) Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
      if (posix) Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      Files.move(tmp, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(name) + ": " + e.getMessage(), e);
    }
  }
}
