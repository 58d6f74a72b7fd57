package dev.agentos.http;

import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Decision;

/**
 * docs/isolation.md, in one place for every route that touches user data: with isolation on, a non-admin token
 * without a user id is refused (agno would show it everyone's data).
 */
final class IsolationRule {
  private IsolationRule() {}

  static void requireUserId(AgentOsConfig.Authorization config, Decision decision, Principal principal) {
    boolean token = principal.kind() == Principal.Kind.JWT || principal.kind() == Principal.Kind.UNVERIFIED;
    if (config.userIsolation() && token && !decision.admin() && decision.scopedUserId().isEmpty()
        && principal.userId().isEmpty()) {
      throw new DetailedFailure(403, "User isolation requires a user id claim");
    }
  }
}
