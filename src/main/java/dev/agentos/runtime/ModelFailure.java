package dev.agentos.runtime;

/** A model provider failed: {@code status} is what the HTTP caller gets (502 bad upstream answer, 504 timeout). */
public final class ModelFailure extends RuntimeException {
  private final int status;

  public ModelFailure(int status, String detail) {
    super(detail, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
