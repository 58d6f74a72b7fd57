package dev.agentos.cluster.impl;

import org.jgroups.Address;
import org.jgroups.protocols.AUTH;

/**
 * JGroups' AUTH with the refusal reason of {@link SettingsAgreement} sent to the refused node instead of the
 * generic "authentication failed", so the joiner can say which settings differ.
 */
public final class AgreementAuth extends AUTH {
  public AgreementAuth() {
    // JGroups finds a protocol's headers by its registered id; a subclass has none, so it speaks as AUTH
    setId(org.jgroups.conf.ClassConfigurator.getProtocolId(AUTH.class));
  }

  @Override
  protected void sendRejectionMessage(byte type, Address dest, String reason) {
    String detail = getAuthToken() instanceof SettingsAgreement agreement ? agreement.takeRefusal(dest) : null;
    super.sendRejectionMessage(type, dest, detail != null ? detail : reason);
  }
}
