package dev.agentos.authn;

import dev.agentos.authn.impl.KeyParser;
import dev.agentos.config.AgentOsConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a verifier's JWKS keys in step with a JWKS URL, given or discovered from the issuer's OpenID configuration
 * (docs/authentication.md): fetched at start and then in the
 * background (Cache-Control max-age, clamped to the configured bounds), never on the request path. A token
 * with an unknown {@code kid} may trigger one early refresh per debounce window. A failed fetch, a non-200,
 * or an untrustworthy set (bad JSON, duplicate kids) keeps the last good set and is logged and counted.
 *
 * <p>Runs on its owner's event loop; one per HttpVerticle instance, so no state is shared across verticles.
 */
public final class JwksUrlSource {
  private static final Logger log = LoggerFactory.getLogger(JwksUrlSource.class);
  private static final Pattern MAX_AGE = Pattern.compile("max-age=(\\d+)");

  private final Vertx vertx;
  private final AgentOsConfig.Authorization config;
  private final WebClient client;
  private final Consumer<List<VerificationKey>> onKeys;
  private final Counter fetchOk;
  private final Counter fetchFailed;
  private long timerId = -1;
  private long lastKidRefreshMs = Long.MIN_VALUE / 2;
  private Future<Void> inFlight;
  private boolean closed;
  private boolean haveKeys;
  private String currentBody;

  public JwksUrlSource(Vertx vertx, AgentOsConfig.Authorization config, String metricsRegistry,
                       Consumer<List<VerificationKey>> onKeys) {
    this.vertx = vertx;
    this.config = config;
    this.onKeys = onKeys;
    this.client = WebClient.create(vertx);
    MeterRegistry registry = BackendRegistries.getNow(metricsRegistry);
    this.fetchOk = registry == null ? null : Counter.builder("agentos_jwks_fetch").tag("result", "ok")
        .description("JWKS URL fetches by result (error: the last good set is kept)").register(registry);
    this.fetchFailed = registry == null ? null : Counter.builder("agentos_jwks_fetch").tag("result", "error")
        .description("JWKS URL fetches by result (error: the last good set is kept)").register(registry);
  }

  /** First fetch; its failure does not fail start-up (tokens are refused until a set arrives, and it retries). */
  public Future<Void> start() {
    return fetch();
  }

  public boolean hasKeys() {
    return haveKeys;
  }

  /**
   * A token named a kid the current set lacks: start a background refresh, unless an unknown kid already
   * caused one within the debounce window (so a flood of made-up kids costs one fetch per window). Must be
   * called on the owner's event loop.
   */
  public Future<Void> refreshForUnknownKid() {
    if (inFlight != null) return inFlight;
    long now = System.currentTimeMillis();
    if (now - lastKidRefreshMs < config.jwksRefreshMinSeconds() * 1000L) return Future.succeededFuture();
    lastKidRefreshMs = now;
    return fetch();
  }

  /** The JWKS document last accepted (the keys {@code onKeys} was given), or null before the first. */
  public String currentBody() {
    return currentBody;
  }

  private Future<Void> fetch() {
    if (closed) return Future.succeededFuture();
    if (inFlight != null) return inFlight;
    if (timerId >= 0) vertx.cancelTimer(timerId);
    Promise<Void> done = Promise.promise();
    inFlight = done.future();
    jwksUri().onComplete(located -> {
      if (located.failed()) {
        count(fetchFailed);
        log.warn("OpenID discovery at {} failed ({}); keeping the last good set", redacted(discoveryUrl()), located.cause().getMessage());
        settled(done, config.jwksRefreshMinSeconds());
        return;
      }
      fetchKeys(located.result(), done);
    });
    return done.future();
  }

  /** The issuer's OpenID configuration document (OpenID Connect Discovery 1.0 §4: the issuer, less a trailing /). */
  private String discoveryUrl() {
    String issuer = config.issuer().orElseThrow();
    return (issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer) + "/.well-known/openid-configuration";
  }

  /**
   * Where the keys are: {@code jwks_url}, or with discovery the {@code jwks_uri} of the issuer's document, read again on
   * every refresh. The document must name exactly the configured issuer (Discovery §4.3: otherwise it is not that
   * issuer's, and its keys are not trusted) and an http(s) {@code jwks_uri}.
   */
  private Future<String> jwksUri() {
    if (!config.discovery()) return Future.succeededFuture(config.jwksUrl().orElseThrow());
    return client.getAbs(discoveryUrl()).timeout(5_000).putHeader("Accept", "application/json").send().compose(response -> {
      if (response.statusCode() != 200) return Future.failedFuture("HTTP " + response.statusCode());
      io.vertx.core.json.JsonObject document;
      try {
        document = response.bodyAsJsonObject();
      } catch (RuntimeException e) {
        return Future.failedFuture("not a JSON object");
      }
      if (document == null || !config.issuer().get().equals(document.getValue("issuer"))) {
        return Future.failedFuture("its issuer is not " + config.issuer().get());
      }
      boolean plainIssuer = config.issuer().get().startsWith("http://");
      if (!(document.getValue("jwks_uri") instanceof String uri) || !(uri.startsWith("https://") || plainIssuer && uri.startsWith("http://"))) {
        // an https issuer's keys come over https: a plain jwks_uri would let the network path supply signing keys
        return Future.failedFuture(plainIssuer ? "no http(s) jwks_uri" : "no https jwks_uri");
      }
      return Future.succeededFuture(uri);
    });
  }

  private void fetchKeys(String url, Promise<Void> done) {
    client.getAbs(url).timeout(5_000).putHeader("Accept", "application/json").send().onComplete(ar -> {
      long next = config.jwksRefreshMinSeconds();
      if (ar.succeeded() && ar.result().statusCode() == 200) {
        try {
          List<VerificationKey> keys = KeyParser.parseJwks(ar.result().bodyAsString(), "authorization.jwks_url")
              .stream().filter(k -> config.algorithms().stream().anyMatch(k::accepts)).toList();
          currentBody = ar.result().bodyAsString();
          onKeys.accept(keys);
          haveKeys = true;
          count(fetchOk);
          next = refreshSeconds(ar.result());
        } catch (RuntimeException e) {
          count(fetchFailed);
          log.warn("JWKS from {} not trusted ({}); keeping the last good set", redacted(url), e.getMessage());
        }
      } else {
        count(fetchFailed);
        log.warn("JWKS fetch from {} failed ({}); keeping the last good set", redacted(url),
            ar.succeeded() ? "HTTP " + ar.result().statusCode() : ar.cause().getMessage());
      }
      settled(done, next);
    });
  }

  /** A fetch is over, whatever came of it: the next one in {@code nextSeconds}. */
  private void settled(Promise<Void> done, long nextSeconds) {
    inFlight = null;
    if (!closed) timerId = vertx.setTimer(nextSeconds * 1000L, id -> fetch());
    done.complete();
  }

  private long refreshSeconds(HttpResponse<Buffer> response) {
    long wanted = config.jwksRefreshMaxSeconds();
    String cc = response.getHeader("Cache-Control");
    if (cc != null) {
      Matcher m = MAX_AGE.matcher(cc);
      if (m.find()) {
        try {
          wanted = Long.parseLong(m.group(1));
        } catch (NumberFormatException ignored) {
          // absurdly large: keep the upper bound
        }
      }
    }
    return Math.max(config.jwksRefreshMinSeconds(), Math.min(config.jwksRefreshMaxSeconds(), wanted));
  }

  private static void count(Counter c) {
    if (c != null) c.increment();
  }

  public void close() {
    closed = true;
    if (timerId >= 0) vertx.cancelTimer(timerId);
    client.close();
  }

  /**
   * The URL as it may appear in a log line: without user info ({@code user:password@}), query or fragment, which
   * can hold credentials ({@code ?api_key=}).
   */
  public static String redacted(String url) {
    try {
      java.net.URI uri = java.net.URI.create(url);
      StringBuilder out = new StringBuilder();
      if (uri.getScheme() != null) out.append(uri.getScheme()).append("://");
      if (uri.getRawUserInfo() != null) out.append("[redacted]@");
      if (uri.getHost() != null) out.append(uri.getHost());
      if (uri.getPort() >= 0) out.append(':').append(uri.getPort());
      if (uri.getRawPath() != null) out.append(uri.getRawPath());
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) out.append("?[redacted]");
      return dev.agentos.contract.LogSafe.clean(out.toString());
    } catch (IllegalArgumentException e) {
      return "[unparsable URL]";
    }
  }
}
