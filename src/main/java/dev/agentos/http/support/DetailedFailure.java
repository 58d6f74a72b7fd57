package dev.agentos.http.support;

import java.util.Map;

/** A failure with a chosen status, detail text and extra headers (e.g. X-Decision-Id on a 403). */
public final class DetailedFailure extends RuntimeException {
  private final int status;
  private final Map<String, String> headers;

  public DetailedFailure(int status, String detail, Map<String, String> headers) {
    super(detail, null, false, false);
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  public DetailedFailure(int status, String detail) {
    this(status, detail, Map.of());
  }

  public int status() {
    return status;
  }

  public String detail() {
    return getMessage();
  }

  public Map<String, String> headers() {
    return headers;
  }
}
