package dev.agentos.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The contract's typed messages: by reference in a JVM, versioned JSON between nodes")
class ContractCodecTest {
  static final Principal ALICE = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("agents:a1:run", "sessions:read"),
      List.of("member"), Optional.of("s-1"), new JsonObject().put("tenant", "t1"), 1_900_000_000L);
  static final Decision DECISION = new Decision(true, List.of("agents:read"), Optional.of(Set.of("a1", "a2")), Optional.of("alice"),
      false, "d-1", List.of("agents:read granted by agents:a1:read"), null, Set.of("a3"));

  /** One example of every message type of {@link Contract#MESSAGES}. */
  static Stream<ContractMessage> examples() {
    return Stream.of(
        new AuthorizeRequest(ALICE, "POST", "/agents/a1/runs", true),
        new AuthorizeReply(DECISION, Optional.of(new JsonObject().put("sig", "x"))),
        AuthorizeReply.of(new Decision(false, List.of("agents:delete"), Optional.empty(), Optional.empty(), false, "d-2",
            List.of("missing agents:a1:delete"), "Insufficient permissions")),
        new CheckRequest(ALICE, "agents:run", Optional.of("a1")),
        new CheckRequest(ALICE, "sessions:read", Optional.empty()),
        new CheckReply(true, "d-3", List.of("agents:a1:run granted by agents:a1:run")));
  }

  @Test
  @DisplayName("every message type has an example here, and a codec named for the contract version")
  void everyTypeCovered() {
    assertThat(examples().map(Object::getClass).distinct().toList())
        .containsExactlyInAnyOrderElementsOf(Contract.MESSAGES.stream().map(c -> (Class<?>) c.type()).toList());
    assertThat(Contract.MESSAGES).allSatisfy(c -> assertThat(c.name()).startsWith(Contract.NAME + "."));
    assertThat(Contract.MESSAGES.stream().map(ContractCodec::name).distinct().count()).isEqualTo(Contract.MESSAGES.size());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static ContractCodec codecOf(ContractMessage m) {
    return Contract.MESSAGES.stream().filter(c -> c.type() == m.getClass()).findFirst().orElseThrow();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  @DisplayName("locally a message is passed by reference: no copy, no JSON")
  @SuppressWarnings("unchecked")
  void localByReference(ContractMessage message) {
    assertThat(codecOf(message).transform(message)).isSameAs(message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  @DisplayName("on the wire a message round-trips to an equal one")
  @SuppressWarnings("unchecked")
  void wireRoundTrip(ContractMessage message) {
    ContractCodec codec = codecOf(message);
    Buffer buffer = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(buffer, message);
    Object decoded = codec.decodeFromWire(6, buffer);
    assertThat(decoded).isEqualTo(message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  @DisplayName("the JSON form round-trips too (senders that speak only JSON)")
  void jsonRoundTrip(ContractMessage message) throws Exception {
    Object back = message.getClass().getMethod("fromJson", JsonObject.class).invoke(null, message.toJson());
    assertThat(back).isEqualTo(message);
  }

  private static Buffer frame(JsonObject frame) {
    byte[] bytes = frame.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return Buffer.buffer().appendInt(bytes.length).appendBytes(bytes);
  }

  @Test
  @DisplayName("a frame of another contract version is refused with a message that names both versions")
  @SuppressWarnings("unchecked")
  void otherVersionRefused() {
    ContractCodec<AuthorizeRequest> codec = (ContractCodec<AuthorizeRequest>) codecOf(new AuthorizeRequest(ALICE, "GET", "/", false));
    JsonObject body = new AuthorizeRequest(ALICE, "GET", "/agents", false).toJson();
    assertThatThrownBy(() -> codec.decodeFromWire(0, frame(new JsonObject().put("v", 0).put("type", codec.name()).put("body", body))))
        .isInstanceOf(ContractCodec.ContractMismatch.class).hasMessageContaining("contract version 0").hasMessageContaining(Contract.NAME);
    assertThatThrownBy(() -> codec.decodeFromWire(0, frame(new JsonObject().put("type", codec.name()).put("body", body))))
        .isInstanceOf(ContractCodec.ContractMismatch.class);
    assertThatThrownBy(() -> codec.decodeFromWire(0, frame(new JsonObject().put("v", Contract.VERSION)
        .put("type", Contract.NAME + ".check-request").put("body", body)))).isInstanceOf(ContractCodec.ContractMismatch.class)
        .hasMessageContaining("arrived as " + codec.name());
  }

  static Stream<JsonObject> malformedRequests() {
    JsonObject principal = ALICE.toJson();
    return Stream.of(new JsonObject(), new JsonObject().put("method", "GET").put("path", "/x"),
        new JsonObject().put("principal", principal).put("path", "/x"), new JsonObject().put("principal", principal).put("method", "GET"),
        new JsonObject().put("principal", principal).put("method", 1).put("path", "/x"),
        new JsonObject().put("principal", "alice").put("method", "GET").put("path", "/x"),
        new JsonObject().put("principal", principal).put("method", "GET").put("path", "/x").put("seal", "yes"),
        new JsonObject().put("principal", new JsonObject().put("kind", "ROOT")).put("method", "GET").put("path", "/x"),
        new JsonObject().put("principal", principal.copy().put("scopes", new JsonArray().add(1))).put("method", "GET").put("path", "/x"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedRequests")
  @DisplayName("a malformed authorize request is an IllegalArgumentException (the verticle answers 400), never a request")
  void malformed(JsonObject json) {
    assertThatThrownBy(() -> AuthorizeRequest.fromJson(json)).isInstanceOf(IllegalArgumentException.class);
  }
}
