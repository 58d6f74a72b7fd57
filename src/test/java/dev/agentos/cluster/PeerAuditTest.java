package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.cluster.impl.PeerAudit;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Refused peers: each refusal gets the same reason from the JDK's and BoringSSL's engines, and logs stay bounded")
class PeerAuditTest {
  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of("JDK, no client certificate", new SSLHandshakeException("Empty client certificate chain"), "no_certificate"),
        Arguments.of("BoringSSL, no client certificate", new SSLHandshakeException(
            "error:10000412:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE"), "no_certificate"),
        Arguments.of("client told a certificate is required", new SSLHandshakeException(
            "error:1000045c:SSL routines:OPENSSL_internal:TLSV1_ALERT_CERTIFICATE_REQUIRED"), "no_certificate"),
        Arguments.of("JDK, another CA", new SSLHandshakeException("PKIX path building failed: unable to find valid certification path"),
            "untrusted_certificate"),
        Arguments.of("BoringSSL, another CA", new SSLHandshakeException(
            "error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED"), "untrusted_certificate"),
        Arguments.of("BoringSSL, the trust manager refused", new SSLHandshakeException("General OpenSslEngine problem")
            .initCause(new java.security.cert.CertificateException("PKIX path validation failed")), "untrusted_certificate"),
        Arguments.of("peer says unknown CA", new SSLHandshakeException("Received fatal alert: certificate_unknown"), "untrusted_certificate"),
        Arguments.of("plaintext to the event bus", new NotSslRecordException("not an SSL/TLS record: 0000"), "not_tls"),
        Arguments.of("plaintext, wrapped by Netty", new DecoderException(new NotSslRecordException("not an SSL/TLS record")), "not_tls"),
        Arguments.of("plaintext to the membership port", new javax.net.ssl.SSLException("Unsupported or unrecognized SSL message"), "not_tls"),
        Arguments.of("an expired certificate", new SSLHandshakeException("General OpenSslEngine problem")
            .initCause(new java.security.cert.CertificateExpiredException("NotAfter: Mon Jan 01")), "invalid_certificate"),
        Arguments.of("anything else", new java.io.IOException("Broken pipe"), "handshake_failed"));
  }

  @ParameterizedTest(name = "{0} → {2}")
  @MethodSource("failures")
  @DisplayName("handshake failures are classified by what the peer did")
  void classified(String what, Throwable failure, String reason) {
    assertThat(PeerAudit.reasonOf(failure)).isEqualTo(reason);
  }

  @Test
  @DisplayName("every refusal is counted even when its log line is suppressed")
  void countsEverything() {
    PeerAudit audit = new PeerAudit();
    for (int i = 0; i < 500; i++) audit.refused("event_bus", "127.0.0.1:" + i, "not_tls", "x\ny");
    audit.refused("membership", "127.0.0.1:1", "no_certificate", "");
    assertThat(audit.count("event_bus")).isEqualTo(500);
    assertThat(audit.count("membership")).isEqualTo(1);
  }
}
