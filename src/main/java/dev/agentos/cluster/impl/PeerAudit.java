package dev.agentos.cluster.impl;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts and logs peers the cluster refused (a TLS handshake that failed, a certificate from another CA, a
 * join with other settings). Logging is limited to one line per second per layer, with the number of refusals
 * not logged since, so a scan of the cluster ports cannot flood the log; the counters
 * ({@code agentos_cluster_refused_connections_total{layer,reason}}) count every one.
 */
public final class PeerAudit {
  public static final String METRIC = "agentos_cluster_refused_connections";

  private static final Logger log = LoggerFactory.getLogger("agentos.cluster.security");
  private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lastLogged = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> suppressed = new ConcurrentHashMap<>();
  private volatile MeterRegistry registry;

  /**
   * Records a refused join of a peer that holds valid credentials but other settings. Always logged: such a peer
   * got through TLS, so it is one of ours, rare, and its operator needs the line.
   */
  public void refusedJoin(String peer, String detail) {
    count("membership", "settings_differ").incrementAndGet();
    log.warn("refused membership connection from {}: settings_differ ({})", dev.agentos.contract.LogSafe.clean(peer),
        dev.agentos.contract.LogSafe.clean(detail));
  }

  /** Records one refusal. {@code layer}: {@code event_bus} or {@code membership}; {@code reason}: a short word. */
  public void refused(String layer, String peer, String reason, String detail) {
    count(layer, reason).incrementAndGet();
    long now = System.nanoTime();
    AtomicLong last = lastLogged.computeIfAbsent(layer, k -> new AtomicLong(now - LOG_INTERVAL_NANOS));
    AtomicLong skipped = suppressed.computeIfAbsent(layer, k -> new AtomicLong());
    long previous = last.get();
    if (now - previous >= LOG_INTERVAL_NANOS && last.compareAndSet(previous, now)) {
      long more = skipped.getAndSet(0);
      log.warn("refused {} connection from {}: {} ({}){}", layer.replace('_', '-'), dev.agentos.contract.LogSafe.clean(peer), reason,
          dev.agentos.contract.LogSafe.clean(detail), more > 0 ? " [" + more + " more refused in the last second(s), not logged]" : "");
    } else {
      skipped.incrementAndGet();
    }
  }

  private AtomicLong count(String layer, String reason) {
    return counts.computeIfAbsent(layer + "|" + reason, k -> {
      AtomicLong c = new AtomicLong();
      MeterRegistry r = registry;
      if (r != null) register(r, layer, reason, c);
      return c;
    });
  }

  /** Refusals counted so far for {@code layer} (all reasons). */
  public long count(String layer) {
    return counts.entrySet().stream().filter(e -> e.getKey().startsWith(layer + "|")).mapToLong(e -> e.getValue().get()).sum();
  }

  /** Exposes the counters in {@code registry} (called once the node's Vert.x, and so its registry, exists). */
  public synchronized void bind(MeterRegistry registry) {
    if (registry == null || this.registry != null) return;
    this.registry = registry;
    counts.forEach((key, counter) -> {
      String[] parts = key.split("\\|", 2);
      register(registry, parts[0], parts[1], counter);
    });
  }

  private static void register(MeterRegistry registry, String layer, String reason, AtomicLong counter) {
    FunctionCounter.builder(METRIC, counter, AtomicLong::get).tag("layer", layer).tag("reason", reason)
        .description("Connections or joins the cluster refused (no certificate, another CA, plaintext, other settings)")
        .register(registry);
  }

  /** A short, stable word for the metric tag. */
  public static String reasonOf(Throwable failure) {
    // The engines wrap the refusal differently (Netty's DecoderException around the JDK's exception; BoringSSL's
    // "General OpenSslEngine problem" around the trust manager's CertificateException): read the whole chain.
    StringBuilder chain = new StringBuilder();
    boolean notTls = false;
    for (Throwable t = failure; t != null && chain.length() < 4096; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateExpiredException || t instanceof java.security.cert.CertificateNotYetValidException) {
        return "invalid_certificate";
      }
      if (t instanceof io.netty.handler.ssl.NotSslRecordException) notTls = true;
      chain.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
      if (t.getCause() == t) break;
    }
    String text = chain.toString().toLowerCase(java.util.Locale.ROOT);
    if (notTls) return "not_tls";
    if (text.contains("unsupported or unrecognized ssl message")
        || text.contains("not an ssl/tls record")) return "not_tls";
    // the JDK's and BoringSSL's words for the same refusals
    if (text.contains("empty client certificate") || text.contains("certificate_required")
        || text.contains("peer_did_not_return_a_certificate")
        || text.contains("certificate required")) return "no_certificate";
    if (text.contains("pkix") || text.contains("certificate_verify_failed") || text.contains("certification path") || text.contains("unable to find valid")
        || text.contains("bad_certificate") || text.contains("certificate_unknown") || text.contains("unknown_ca")
        || text.contains("signature check failed") || text.contains("java.security.cert.certificateexception"))
      return "untrusted_certificate";
    if (text.contains("expired") || text.contains("not yet valid")) return "invalid_certificate";
    return "handshake_failed";
  }
}
