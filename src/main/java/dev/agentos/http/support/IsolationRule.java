package dev.agentos.http.support;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;

/**
 * docs/isolation.md, in one place for every route that touches user data: with isolation on, a non-admin token
 * without a user id is refused (agno would show it everyone's data).
 */
public final class IsolationRule {
  private IsolationRule() {}

  public static void requireUserId(AgentOsConfig.Authorization config, Decision decision, Principal principal) {
    boolean token = principal.kind() == Principal.Kind.JWT || principal.kind() == Principal.Kind.UNVERIFIED;
    if (config.userIsolation() && token && !decision.admin() && decision.scopedUserId().isEmpty()
        && principal.userId().isEmpty()) {
      throw new DetailedFailure(403, "User isolation requires a user id claim");
    }
  }
}
