package dev.agentos.authn;

/**
 * A credential was missing or not acceptable. {@link #detail()} is agno's exact response text; the
 * {@link #rfc6750Error()} goes into {@code WWW-Authenticate} ({@code null} when no credential was sent).
 * Never carries token material.
 */
public final class AuthenticationException extends RuntimeException {
  private final int status;
  private final String rfc6750Error;

  public AuthenticationException(String detail) {
    this(401, detail, "invalid_token");
  }

  public AuthenticationException(int status, String detail, String rfc6750Error) {
    super(detail, null, false, false);
    this.status = status;
    this.rfc6750Error = rfc6750Error;
  }

  public static AuthenticationException missing(String detail) {
    return new AuthenticationException(401, detail, null);
  }

  public static AuthenticationException invalid(String reason) {
    return new AuthenticationException("Invalid token: " + reason);
  }

  public String detail() {
    return getMessage();
  }

  public int status() {
    return status;
  }

  public String rfc6750Error() {
    return rfc6750Error;
  }
}
