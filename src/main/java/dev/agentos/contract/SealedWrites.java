package dev.agentos.contract;

import java.util.regex.Pattern;

/**
 * The writes that record who made them, and so need a {@link DecisionSeal}: role changes and assignments,
 * service-account mints and revocations, changes to the users directory. The HTTP verticle asks the policy verticle for a seal on these routes;
 * the storage verticle performs the matching actions only with one.
 */
public final class SealedWrites {
  private static final Pattern ROLE = Pattern.compile("/authz/roles/[^/]+");
  private static final Pattern ROLE_SCOPES = Pattern.compile("/authz/roles/[^/]+/scopes");
  private static final Pattern SUBJECT_ROLES = Pattern.compile("/authz/subjects/[^/]+/roles");
  private static final Pattern SERVICE_ACCOUNT = Pattern.compile("/service-accounts/[^/]+");
  private static final Pattern USER = Pattern.compile("/users/[^/]+");
  private static final Pattern CONSENT = Pattern.compile("/authz/consents/[^/]+");

  private SealedWrites() {}

  /** True when {@code method} on the canonical {@code path} is one of the sealed writes. */
  public static boolean needsSeal(String method, String path) {
    return switch (method) {
      case "PUT" -> ROLE.matcher(path).matches() || ROLE_SCOPES.matcher(path).matches() || SUBJECT_ROLES.matcher(path).matches()
          || CONSENT.matcher(path).matches();
      case "PATCH" -> ROLE_SCOPES.matcher(path).matches() || USER.matcher(path).matches();
      case "DELETE" -> ROLE.matcher(path).matches() || SERVICE_ACCOUNT.matcher(path).matches() || CONSENT.matcher(path).matches();
      case "POST" -> path.equals("/service-accounts");
      default -> false;
    };
  }
}
