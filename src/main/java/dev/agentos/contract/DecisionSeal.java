package dev.agentos.contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A policy decision that allowed a write which records who made it (a role change, a role assignment, a
 * service-account mint or revocation), signed by the node whose policy verticle decided. The storage verticle
 * performs such a write only with a seal it can verify, for that method and path, issued within
 * {@link #MAX_AGE_MS}; the actor it records is the seal's, and so is the tenant the write lands in, so no sender can
 * choose either.
 */
public record DecisionSeal(String decisionId, Optional<String> actor, String actorKind, String tenant, String method,
                           String path, long issuedAtMs, List<X509Certificate> chain, Optional<PublicKey> key,
                           byte[] signature, List<String> actors) {
  public DecisionSeal {
    actors = actors == null ? List.of() : List.copyOf(actors);
  }

  /** A seal is good for this long after the decision (clocks of the nodes are assumed within a few seconds). */
  public static final long MAX_AGE_MS = 60_000;

  /** Why a seal is refused; the storage verticle answers such a write with 403. */
  public static final class Refused extends Exception {
    public Refused(String why) {
      super(why, null, false, false);
    }
  }

  /** A seal for a write in the implicit tenant. */
  public static DecisionSeal issue(NodeIdentity identity, String decisionId, Optional<String> actor, String actorKind,
                                   String method, String path, long nowMs) {
    return issue(identity, decisionId, actor, actorKind, Owner.IMPLICIT_TENANT, method, path, nowMs);
  }

  public static DecisionSeal issue(NodeIdentity identity, String decisionId, Optional<String> actor, String actorKind,
                                   String tenant, String method, String path, long nowMs) {
    return issue(identity, decisionId, actor, actorKind, tenant, List.of(), method, path, nowMs);
  }

  /**
   * A seal of a delegated request's decision: {@code actors} is its chain (the current actor first), signed with the
   * rest, so the audit row of the change names who acted for the actor (docs/authorization.md, "Delegation").
   */
  public static DecisionSeal issue(NodeIdentity identity, String decisionId, Optional<String> actor, String actorKind,
                                   String tenant, List<String> actors, String method, String path, long nowMs) {
    byte[] signature = identity.sign(signedBytes(decisionId, actor, actorKind, tenant, actors, method, path, nowMs));
    List<X509Certificate> chain = identity.chain();
    return new DecisionSeal(decisionId, actor, actorKind, tenant, method, path, nowMs, chain,
        chain.isEmpty() ? Optional.of(identity.publicKey()) : Optional.empty(), signature, actors);
  }

  /** Checks signature, signer, age and that the seal is for {@code method} {@code path}. */
  public void verify(NodeIdentity identity, String expectedMethod, String expectedPath, long nowMs) throws Refused {
    if (!method.equals(expectedMethod) || !path.equals(expectedPath)) {
      throw new Refused("the decision was for " + method + " " + path + ", not " + expectedMethod + " " + expectedPath);
    }
    if (issuedAtMs > nowMs + 5_000 || nowMs - issuedAtMs > MAX_AGE_MS) throw new Refused("the decision is too old or from the future");
    PublicKey signer = identity.trustedSigner(chain, key).orElseThrow(() -> new Refused("the decision's signer is not trusted"));
    try {
      Signature verifier = Signature.getInstance(identity.signatureAlgorithm());
      verifier.initVerify(signer);
      verifier.update(signedBytes(decisionId, actor, actorKind, tenant, actors, method, path, issuedAtMs));
      if (!verifier.verify(signature)) throw new Refused("the decision's signature does not verify");
    } catch (GeneralSecurityException e) {
      throw new Refused("the decision's signature does not verify");
    }
  }

  public JsonObject toJson() {
    JsonArray certs = new JsonArray();
    for (X509Certificate c : chain) {
      try {
        certs.add(Base64.getEncoder().encodeToString(c.getEncoded()));
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
    JsonObject json = new JsonObject().put("decision_id", decisionId).put("actor", actor.orElse(null))
        .put("actor_kind", actorKind).put("tenant", tenant).put("method", method).put("path", path).put("issued_at", issuedAtMs)
        .put("chain", certs).put("signature", Base64.getEncoder().encodeToString(signature));
    if (!actors.isEmpty()) json.put("actors", new JsonArray(actors));
    key.ifPresent(k -> json.put("key", Base64.getEncoder().encodeToString(k.getEncoded())));
    return json;
  }

  /** Parses a seal; anything malformed is refused, never an exception of another kind. */
  public static DecisionSeal fromJson(Object raw) throws Refused {
    if (!(raw instanceof JsonObject json)) throw new Refused("the write carries no decision seal");
    try {
      List<X509Certificate> chain = new ArrayList<>();
      JsonArray certs = json.getJsonArray("chain", new JsonArray());
      if (certs.size() > 4) throw new Refused("malformed decision seal");
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Object c : certs) {
        chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode((String) c))));
      }
      Optional<PublicKey> key = Optional.ofNullable(json.getString("key")).map(DecisionSeal::publicKey);
      return new DecisionSeal(require(json, "decision_id"), Optional.ofNullable(json.getString("actor")),
          require(json, "actor_kind"), require(json, "tenant"), require(json, "method"), require(json, "path"),
          json.getLong("issued_at"), chain, key,
          Base64.getDecoder().decode(require(json, "signature")), actorsOf(json.getValue("actors")));
    } catch (Refused e) {
      throw e;
    } catch (RuntimeException | GeneralSecurityException e) {
      throw new Refused("malformed decision seal");
    }
  }

  private static List<String> actorsOf(Object value) throws Refused {
    if (value == null) return List.of();
    if (!(value instanceof JsonArray array) || array.size() > 16) throw new Refused("malformed decision seal");
    List<String> out = new ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof String s)) throw new Refused("malformed decision seal");
      out.add(s);
    }
    return out;
  }

  private static String require(JsonObject json, String field) throws Refused {
    if (!(json.getValue(field) instanceof String s)) throw new Refused("malformed decision seal");
    return s;
  }

  private static PublicKey publicKey(String base64) {
    try {
      return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an EC public key", e);
    }
  }

  private static byte[] signedBytes(String decisionId, Optional<String> actor, String actorKind, String tenant, List<String> actors,
                                    String method, String path, long issuedAtMs) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeUTF("agentos.seal.v3");
      out.writeUTF(decisionId);
      out.writeBoolean(actor.isPresent());
      out.writeUTF(actor.orElse(""));
      out.writeUTF(actorKind);
      out.writeUTF(tenant);
      out.writeInt(actors.size());
      for (String a : actors) out.writeUTF(a);
      out.writeUTF(method);
      out.writeUTF(path);
      out.writeLong(issuedAtMs);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory stream", e);
    }
  }
}
