package dev.agentos.http.support;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Principal;
import dev.agentos.policy.PolicyClient;
import dev.agentos.policy.Scope;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The escalation rules shared by service accounts and managed roles: nobody hands out what they could not
 * use themselves (the policy verticle answers with roles and denies applied), and only an admin without denies
 * may lift a deny. A security-key root holds everything.
 */
public final class GrantRules {
  private GrantRules() {}

  public static Future<Void> requireHolds(PolicyClient policy, AgentOsConfig.Authorization config, Principal caller, List<String> scopes) {
    return requireHolds(policy, config, caller, scopes, "Cannot grant scope(s) you do not hold: ");
  }

  /** The same, refused with {@code refusal} followed by the scopes the caller does not hold. */
  public static Future<Void> requireHolds(PolicyClient policy, AgentOsConfig.Authorization config, Principal caller, List<String> scopes,
                                          String refusal) {
    if (caller.kind() == Principal.Kind.SECURITY_KEY) return Future.succeededFuture();
    return policy.check(caller, config.adminScope(), null).transform(admin -> {
      if (admin.failed()) return Future.failedFuture(new DetailedFailure(503, "Authorization service unavailable"));
      if (admin.result()) return Future.succeededFuture();
      List<String> asked = new ArrayList<>(new LinkedHashSet<>(scopes));
      List<Future<Boolean>> checks = new ArrayList<>();
      for (String raw : asked) {
        Scope s = Scope.parse(raw, config.adminScope());
        if (s.kind() == Scope.Kind.ADMIN || s.kind() == Scope.Kind.UNKNOWN) {
          checks.add(Future.succeededFuture(false));
        } else if (s.kind() == Scope.Kind.PER_RESOURCE) {
          checks.add(policy.check(caller, s.resource() + ":" + s.action(), s.isWildcard() ? null : s.id().get()));
        } else {
          checks.add(policy.check(caller, raw, null));
        }
      }
      return Future.all(checks).transform(ar -> {
        if (ar.failed()) return Future.failedFuture(new DetailedFailure(503, "Authorization service unavailable"));
        List<String> notHeld = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) if (!checks.get(i).result()) notHeld.add(asked.get(i));
        return notHeld.isEmpty() ? Future.succeededFuture()
            : Future.failedFuture(new DetailedFailure(403, refusal + String.join(", ", notHeld)));
      });
    });
  }

  /**
   * The platform admin scope acts across tenants, so it comes only from the identity provider's token; a role or a
   * service account, which a tenant's own admin creates, can never carry it (the policy would ignore it anyway).
   */
  public static boolean namesPlatformScope(AgentOsConfig.Authorization config, List<String> scopes) {
    return config.platformAdminScope().map(scopes::contains).orElse(false);
  }

  /** Lifting a deny (deleting, weakening or unassigning a role that carries one) needs an admin without denies. */
  public static Future<Void> requireAdmin(PolicyClient policy, AgentOsConfig.Authorization config, Principal caller) {
    return isAdmin(policy, config, caller).compose(admin -> admin ? Future.succeededFuture()
        : Future.failedFuture(new DetailedFailure(403, "Only an admin can lift a role's deny")));
  }

  /** Whether the caller is an admin, with its roles and denies applied (the security key is); 503 without an answer. */
  public static Future<Boolean> isAdmin(PolicyClient policy, AgentOsConfig.Authorization config, Principal caller) {
    if (caller.kind() == Principal.Kind.SECURITY_KEY) return Future.succeededFuture(true);
    return policy.check(caller, config.adminScope(), null).transform(ar -> ar.failed()
        ? Future.failedFuture(new DetailedFailure(503, "Authorization service unavailable")) : Future.succeededFuture(ar.result()));
  }
}
