package dev.agentos.http.pipeline;

import dev.agentos.http.support.DetailedFailure;
import dev.agentos.http.support.PathCanonicalizer;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * First handler after the access log: every request is rerouted to its canonical path
 * ({@link PathCanonicalizer}) before authentication, so exclusions, the policy and the router all see one
 * spelling. Paths that cannot be canonicalised, or whose canonical form holds characters outside the safe
 * set, are refused with 400 rather than guessed at.
 */
public final class PathGuard implements RequestGate {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._~!$&'()*+,=:@/-]+");

  @Override
  public boolean admit(RoutingContext ctx) {
    // Hold the body until the body step: authentication and the policy answer asynchronously first.
    if (!ctx.request().isEnded()) ctx.request().pause();
    String raw = ctx.request().path();
    Optional<String> canonical = PathCanonicalizer.canonicalize(raw);
    if (canonical.isEmpty() || !SAFE.matcher(canonical.get()).matches()) {
      ctx.fail(new DetailedFailure(400, "Invalid request path"));
      return false;
    }
    String path = canonical.get();
    if (!path.equals(raw)) {
      String query = ctx.request().query();
      ctx.reroute(ctx.request().method(), query == null ? path : path + "?" + query);
      return false;
    }
    return true;
  }
}
