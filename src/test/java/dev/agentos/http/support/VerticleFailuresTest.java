package dev.agentos.http.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.storage.StorageFailure;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("One mapping from a storage or runtime failure to the HTTP answer")
class VerticleFailuresTest {

  @ParameterizedTest(name = "storage {0} -> {1} {2}")
  @CsvSource(delimiter = '|', value = {
      "400|400|the verticle's text", "403|403|the verticle's text", "404|404|the verticle's text", "409|409|the verticle's text",
      "501|503|Database unavailable", "503|503|Database unavailable", "500|503|Database unavailable", "502|503|Database unavailable"})
  @DisplayName("a storage failure code becomes its status with the verticle's text, or 503 Database unavailable")
  void storage(int code, int status, String detail) {
    // what StorageClient makes of the verticle's failure reply
    RuntimeException answer = VerticleFailures.storage(new StorageFailure(code, "the verticle's text"));
    assertThat(answer).isInstanceOf(DetailedFailure.class);
    assertThat(((DetailedFailure) answer).status()).isEqualTo(status);
    assertThat(((DetailedFailure) answer).detail()).isEqualTo(detail);
  }

  @Test
  @DisplayName("422 is agno's validation list; a route may name its own 404 text; transport failures are 503")
  void specialCases() {
    assertThat(VerticleFailures.storage(new StorageFailure(422, "bad filter"))).isInstanceOf(ValidationFailure.class);
    DetailedFailure named = (DetailedFailure) VerticleFailures.storage(new StorageFailure(404, "no such row"), "Role not found");
    assertThat(named.detail()).isEqualTo("Role not found");
    for (ReplyFailure transport : new ReplyFailure[] {ReplyFailure.NO_HANDLERS, ReplyFailure.TIMEOUT}) {
      DetailedFailure d = (DetailedFailure) VerticleFailures.storage(new ReplyException(transport, -1, "x"));
      assertThat(d.status()).isEqualTo(503);
    }
    assertThat(((DetailedFailure) VerticleFailures.storage(new IllegalStateException("malformed reply"))).status()).isEqualTo(503);
    DetailedFailure own = new DetailedFailure(404, "Run not found");
    assertThat(VerticleFailures.storage(own)).isSameAs(own);
  }

  @ParameterizedTest(name = "runtime {0} -> {1}")
  @CsvSource({"404,404", "502,502", "504,504", "400,503", "503,503", "501,503"})
  @DisplayName("a runtime failure: unknown component and the model provider's failures pass, the rest is 503 Runtime unavailable")
  void runtime(int code, int status) {
    DetailedFailure d = VerticleFailures.runtime(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, "text"));
    assertThat(d.status()).isEqualTo(status);
    if (status == 503) assertThat(d.detail()).isEqualTo("Runtime unavailable");
  }
}
