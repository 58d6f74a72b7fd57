package dev.agentos.storage;

/** A storage outcome that is not a result: its {@link #code()} is a {@link StorageApi} failure code, its message agno's detail. */
public final class StorageFailure extends RuntimeException {
  private final int code;

  public StorageFailure(int code, String detail) {
    super(detail, null, false, false);
    this.code = code;
  }

  public int code() {
    return code;
  }
}
