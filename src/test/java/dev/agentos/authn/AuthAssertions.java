package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;

final class AuthAssertions {
  private AuthAssertions() {}

  /** 401, agno's exact detail, and an RFC 6750 challenge naming invalid_token. */
  static void rejected(HttpResponse<Buffer> r, String detail) {
    assertThat(r.statusCode()).as("status for %s", detail).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo(detail);
    assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
  }

  /** 401 for a missing credential: agno's detail and a bare Bearer challenge. */
  static void missing(HttpResponse<Buffer> r, String detail) {
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo(detail);
    assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer");
  }

  /** Authenticated and authorized: GET /metrics with metrics:read answers 200. */
  static void accepted(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as("body: %s", r.bodyAsString()).isEqualTo(200);
  }
}
