package dev.agentos.cluster.impl;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.auth.AuthToken;
import org.jgroups.util.Bits;

/**
 * The membership layer's join check: a joining node sends a fingerprint of each section of its settings
 * that changes an answer (authorization, the agent/team/workflow registry and their models, the storage
 * target, the os id and the event-bus contract version); the coordinator compares them with its own and
 * refuses the join naming every section that differs. The joiner learns the same names from the rejection,
 * so the refusal is logged on both sides. Instances are created by JGroups from the class name when a join
 * request arrives, so the class keeps a public no-argument constructor.
 */
public final class SettingsAgreement extends AuthToken {
  private static final int MAX_SECTIONS = 32;
  private static final int MAX_TEXT = 128;

  /** Refusal reasons by joiner address, handed to {@link AgreementAuth} for the rejection message. */
  private final Map<Address, String> refusals = new ConcurrentHashMap<>();
  private Map<String, String> sections = new TreeMap<>();
  private PeerAudit audit;

  public SettingsAgreement() {}

  public SettingsAgreement(Map<String, String> sections, PeerAudit audit) {
    this.sections = new TreeMap<>(sections);
    this.audit = audit;
  }

  public Map<String, String> sections() {
    return Map.copyOf(sections);
  }

  /** The sections whose fingerprints differ (or that only one side has), in name order. */
  public static List<String> differing(Map<String, String> ours, Map<String, String> theirs) {
    TreeMap<String, Boolean> names = new TreeMap<>();
    ours.keySet().forEach(k -> names.put(k, true));
    theirs.keySet().forEach(k -> names.put(k, true));
    List<String> out = new ArrayList<>();
    for (String name : names.keySet()) {
      if (!java.util.Objects.equals(ours.get(name), theirs.get(name))) out.add(name);
    }
    return out;
  }

  @Override
  public String getName() {
    return SettingsAgreement.class.getName();
  }

  @Override
  public boolean authenticate(AuthToken token, Message msg) {
    if (!(token instanceof SettingsAgreement joiner)) {
      refuse(msg.getSrc(), "the joining process is not an AgentOS node of this version");
      return false;
    }
    List<String> differ = differing(sections, joiner.sections);
    if (differ.isEmpty()) return true;
    refuse(msg.getSrc(), "its " + String.join(", ", differ) + " settings differ from this cluster's");
    return false;
  }

  private void refuse(Address joiner, String reason) {
    refusals.put(joiner, reason);
    if (audit != null) audit.refusedJoin(physical(joiner), reason);
  }

  private String physical(Address joiner) {
    try {
      Object address = auth == null ? null : auth.down(new Event(Event.GET_PHYSICAL_ADDRESS, joiner));
      return address == null ? String.valueOf(joiner) : address.toString();
    } catch (RuntimeException e) {
      return String.valueOf(joiner);
    }
  }

  /** The reason recorded for {@code joiner}'s last refusal, removed as it is read. */
  String takeRefusal(Address joiner) {
    return refusals.remove(joiner);
  }

  @Override
  public int size() {
    int size = Integer.BYTES;
    for (Map.Entry<String, String> e : sections.entrySet()) {
      size += Bits.size(e.getKey()) + Bits.size(e.getValue());
    }
    return size;
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(sections.size());
    for (Map.Entry<String, String> e : sections.entrySet()) {
      Bits.writeString(e.getKey(), out);
      Bits.writeString(e.getValue(), out);
    }
  }

  @Override
  public void readFrom(DataInput in) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > MAX_SECTIONS) throw new IOException("too many settings sections: " + count);
    TreeMap<String, String> read = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      String name = Bits.readString(in);
      String value = Bits.readString(in);
      if (name == null || value == null || name.length() > MAX_TEXT || value.length() > MAX_TEXT) {
        throw new IOException("malformed settings section");
      }
      read.put(name, value);
    }
    sections = read;
  }

  @Override
  public String toString() {
    return "SettingsAgreement" + sections.keySet();
  }
}
