package dev.agentos.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
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
    return Stream.<ContractMessage>concat(storageExamples(), Stream.of(
        new AuthorizeRequest(ALICE, "POST", "/agents/a1/runs", true),
        new AuthorizeRequest(new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("agents:read"), List.of(), Optional.empty(),
            new JsonObject(), 0, Optional.of("acme"), Optional.of("jti:x"), List.of(new Principal.Actor("support-agent", Optional.of("c1"),
                Optional.of("https://idp")), new Principal.Actor("tool", Optional.empty(), Optional.empty()))), "GET", "/sessions", false,
            Optional.of("acme"), true),
        AuthorizeReply.of(Decision.revoked("d-9", "user 'x' is disabled in the users directory", "User is disabled")),
        new AuthorizeReply(DECISION, Optional.of(new JsonObject().put("sig", "x"))),
        AuthorizeReply.of(new Decision(false, List.of("agents:delete"), Optional.empty(), Optional.empty(), false, "d-2",
            List.of("missing agents:a1:delete"), "Insufficient permissions")),
        new CheckRequest(ALICE, "agents:run", Optional.of("a1")),
        new CheckRequest(ALICE, "sessions:read", Optional.empty()),
        new CheckReply(true, "d-3", List.of("agents:a1:run granted by agents:a1:run")),
        new Document(new JsonObject().put("data", new JsonArray().add(new JsonObject().put("session_id", "s-1")))
            .put("meta", new JsonObject().put("page", 1))),
        new JsonText("[{\"run_id\" : \"r-1\", \"events\" : [{\"event\": \"RunStarted\"}]}]"),
        new RunRequest("agents", "a1", Owner.user("alice"), "s-1", "hello", "agentos.runtime.v1.events.x",
            new JsonObject().put("step", 1), "a string claim", null),
        new RunRequest("teams", "t1", Owner.everyone(), "s-2", "hi", null, null, null, new JsonObject()),
        new RunEvent(new JsonObject().put("event", "RunContent").put("run_id", "r-1").put("content", "he"), false),
        new RunEvent(new JsonObject().put("event", "RunCompleted").put("run_id", "r-1"), true),
        new RunCancel("r-1", "agents", "a1", Owner.user("alice"), "s-1"),
        new RunCancel("r-2", "workflows", "w1", Owner.everyone(), null),
        new RunRequest("agents", "a1", Owner.of("acme", "alice"), "s-1", "hi", null, null, null, null,
            List.of(new Principal.Actor("support-agent", Optional.empty(), Optional.empty()))),
        new RunResume("r-1", "agents", "a1", Owner.of("acme", "alice"), "s-1", 4, "agentos.runtime.v1.events.x"),
        new RunResume("r-2", "teams", "t1", Owner.everyoneIn("acme"), null, -1, "agentos.runtime.v1.events.y")));
  }

  static final OffsetDateTime T0 = OffsetDateTime.parse("2026-12-01T10:15:30+01:00");
  static final JsonObject SEAL = new JsonObject().put("decision_id", "d-9").put("signature", "c2ln");

  /** One example of every storage request ({@link StorageRequest#TYPES}), absent fields included. */
  static Stream<StorageRequest> storageExamples() {
    Owner alice = Owner.user("alice");
    return Stream.of(
        new StorageRequest.Ping(),
        new StorageRequest.SessionsList(alice, "agent", "a1", "chat", 2, 50, "updated_at", "asc"),
        new StorageRequest.SessionsList(Owner.everyone(), null, null, null, 1, 20, null, null),
        new StorageRequest.SessionsGet(alice, "s-1", null, 2, 50),
        new StorageRequest.SessionsCreate(alice, "s-1", "agent", "a1", "chat", new JsonObject().put("k", "v"), null),
        new StorageRequest.SessionsUpdate(alice, "s-1", "team", "renamed", null, new JsonObject(), new JsonObject().put("s", 1)),
        new StorageRequest.SessionsDelete(alice, List.of("s-1", "s-2"), List.of("agent", "team")),
        new StorageRequest.SessionsDelete(alice, List.of("s-1"), null),
        new StorageRequest.SessionRuns(alice, "s-1", T0, T0.plusHours(1), 3, 100),
        new StorageRequest.SessionRun(alice, "s-1", "r-1"),
        new StorageRequest.RunsLocate(alice, "r-1"),
        new StorageRequest.SessionsEnsure(alice, "s-1", "workflow", "w1", 3),
        new StorageRequest.SessionsFork(alice, "s-1", "agent", "a1", "s-2"),
        new StorageRequest.RunsRecord(alice, "s-1", "agent", "a1", new JsonObject().put("run_id", "r-1").put("status", "COMPLETED"),
            new JsonObject().put("trace_id", "tr-1"), new JsonArray().add(new JsonObject().put("span_id", "sp-1"))),
        new StorageRequest.RunsRecord(alice, "s-1", "agent", "a1", new JsonObject().put("run_id", "r-2"), null, null),
        new StorageRequest.MemoriesList(alice, "a1", null, List.of("food"), "pizza", 1, 20, "memory", "desc"),
        new StorageRequest.MemoriesGet(alice, "m-1"),
        new StorageRequest.MemoriesCreate(alice, "likes tea", List.of("drinks"), null, "t1"),
        new StorageRequest.MemoriesUpdate(alice, "m-1", "likes coffee", null),
        new StorageRequest.MemoriesDelete(alice, List.of("m-1")),
        new StorageRequest.MemoryTopics(alice),
        new StorageRequest.MemoryStats(Owner.everyone(), 3, 10),
        new StorageRequest.TracesList(alice, "r-1", "s-1", "agent", "a1", "OK", T0, null, 1, 20),
        new StorageRequest.TracesSessionStats(alice, null, null, null, null, "ERROR", null, T0, 2, 5),
        new StorageRequest.TracesSearch(alice, new JsonObject().put("op", "EQ").put("key", "status").put("value", "OK"),
            "session", 1, 20),
        new StorageRequest.TracesGet(alice, "tr-1", "sp-1"),
        new StorageRequest.TracesRecord(alice, new JsonObject().put("trace_id", "tr-1"),
            new JsonArray().add(new JsonObject().put("span_id", "sp-1"))),
        new StorageRequest.ServiceAccountsCreate("ci", "hash", "agentos_pat_ab", List.of("agents:read"), T0, null, SEAL),
        new StorageRequest.ServiceAccountsList("acme", false, 1, 20, "desc"),
        new StorageRequest.ServiceAccountsRevoke("sa-1", SEAL),
        new StorageRequest.ServiceAccountsVerify("hash"),
        new StorageRequest.RolesSnapshot(),
        new StorageRequest.RolesPut("analyst", List.of("traces:read"), List.of("sessions:delete"), "reads traces", SEAL),
        new StorageRequest.RolesDelete("analyst", SEAL),
        new StorageRequest.SubjectRolesGet("acme", "alice"),
        new StorageRequest.SubjectRolesPut("alice", List.of("analyst"), null),
        new StorageRequest.AuthzAudit("", 1, 50),
        new StorageRequest.RolesSnapshot(java.util.Optional.of("acme")),
        new StorageRequest.RolesSnapshot(java.util.Optional.empty(), true),
        new StorageRequest.UsersList("acme", "ann", false, "id", "asc", 2, 20),
        new StorageRequest.UsersGet("acme", "ann"),
        new StorageRequest.UsersUpdate("ann", "ann@example.com", null, true, SEAL),
        new StorageRequest.UsersProvision("acme", "ann", "ann@example.com", "Ann"),
        new StorageRequest.UsersMetrics("acme"),
        new StorageRequest.ConsentsList("acme", "alice"),
        new StorageRequest.ConsentsPut("sa:helper", true, SEAL),
        new StorageRequest.DecisionsRecord(new JsonArray().add(new JsonObject().put("tenant", "acme").put("decision_id", "d1")
            .put("result", "deny"))),
        new StorageRequest.DecisionsList("acme", "alice", "deny", "/sessions", T0, T0.plusDays(1), 1, 50));
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

  @Test
  @DisplayName("every storage action of StorageApi is exactly one request type, and the examples cover every type")
  void everyStorageActionTyped() throws Exception {
    List<String> actions = new java.util.ArrayList<>();
    for (java.lang.reflect.Field f : StorageApi.class.getDeclaredFields()) {
      if (f.getType() != String.class || List.of("ADDRESS", "ACTION_HEADER", "SERVICE_ACCOUNT_REVOKED").contains(f.getName())) continue;
      actions.add((String) f.get(null));
    }
    assertThat(StorageRequest.TYPES.stream().map(StorageRequest.Type::action).toList()).containsExactlyInAnyOrderElementsOf(actions);
    assertThat(storageExamples().map(StorageRequest::action).distinct().toList()).containsExactlyInAnyOrderElementsOf(actions);
    assertThat(storageExamples()).allSatisfy(r -> assertThat(StorageRequest.fromJson(r.action(), r.toJson())).contains(r));
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> malformedStorageRequests() {
    return Stream.of(
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSIONS_LIST, new JsonObject().put("owner", 7)),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSIONS_LIST, new JsonObject().put("owner", "")),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSIONS_LIST, new JsonObject().put("owner", "a").put("page", "1")),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSIONS_LIST, new JsonObject().put("owner", "a").put("limit", 1.5)),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSIONS_GET, new JsonObject().put("owner", "a").put("session_id", 1)),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSIONS_DELETE,
            new JsonObject().put("owner", "a").put("session_ids", "s-1")),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSIONS_DELETE,
            new JsonObject().put("owner", "a").put("session_ids", new JsonArray().add(1))),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SESSION_RUNS,
            new JsonObject().put("owner", "a").put("session_id", "s").put("created_after", "yesterday")),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.RUNS_RECORD, new JsonObject().put("owner", "a").put("run", "r")),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.TRACES_RECORD, new JsonObject().put("owner", "a").put("spans", 1)),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.SERVICE_ACCOUNTS_LIST, new JsonObject().put("include_revoked", "no")),
        org.junit.jupiter.params.provider.Arguments.of(StorageApi.ROLES_PUT, new JsonObject().put("name", "r").put("scopes", 1)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("malformedStorageRequests")
  @DisplayName("a storage request with a field of the wrong type is Malformed (the verticle answers 400), never coerced")
  void malformedStorage(String action, JsonObject json) {
    assertThatThrownBy(() -> StorageRequest.fromJson(action, json)).isInstanceOf(ContractMessage.Malformed.class);
  }

  @Test
  @DisplayName("an action the storage API does not know is no request (the verticle answers 501)")
  void unknownStorageAction() {
    assertThat(StorageRequest.fromJson("sessions.drop", new JsonObject())).isEmpty();
    assertThat(StorageRequest.fromJson(null, new JsonObject())).isEmpty();
  }

  @Test
  @DisplayName("a request's lists are its own: changing the caller's list afterwards changes nothing")
  void listsCopied() {
    List<String> ids = new java.util.ArrayList<>(List.of("s-1"));
    StorageRequest.SessionsDelete request = new StorageRequest.SessionsDelete(Owner.user("a"), ids, null);
    ids.add("s-2");
    assertThat(request.sessionIds()).containsExactly("s-1");
  }
}
