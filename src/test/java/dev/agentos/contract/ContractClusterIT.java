package dev.agentos.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.AgentOsServer;
import dev.agentos.cluster.ClusterNode;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.policy.PolicyClient;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract between two clustered Vert.x instances (one JVM, real JGroups channels, a real policy verticle on
 * one of them): every message type crosses as versioned JSON and arrives equal, and a frame of another contract
 * version is refused with a failure that says so, not read as a request.
 */
@DisplayName("The typed contract across a cluster")
class ContractClusterIT {
  private static final String SECRET = "contract-cluster-secret-of-32-bytes!!";
  private static final String ECHO = "agentos.test.contract-echo";
  private static TestDatabase db;
  private static final List<ClusterNode> nodes = new ArrayList<>();
  private static AgentOsServer policyNode;
  private static Vertx asking;
  private static Vertx older;

  private static AgentOsConfig config(String name, int port, int bus, List<Integer> others, JsonArray verticles) {
    JsonArray members = new JsonArray();
    for (int other : others) members.add("127.0.0.1:" + other);
    return ConfigLoader.fromJson(new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", TestServer.freePort()))
        .put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
            .put("verification_keys", new JsonArray().add(SECRET)))
        .put("storage", new JsonObject().put("postgres", db.postgresConfig()))
        .put("logging", new JsonObject().put("access_log", "off"))
        .put("cluster", new JsonObject().put("enabled", true).put("name", name).put("host", "127.0.0.1").put("port", port)
            .put("event_bus_port", bus).put("members", members).put("verticles", verticles)
            .put("security", new JsonObject().put("insecure", true))), Map.of());
  }

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    String name = "contract-" + ProcessHandle.current().pid();
    int[] ports = {TestServer.freePort(), TestServer.freePort(), TestServer.freePort()};
    AgentOsConfig b = config(name, ports[0], TestServer.freePort(), List.of(ports[1], ports[2]), new JsonArray().add("policy").add("storage"));
    ClusterNode nodeB = ClusterNode.start(b, new VertxOptions(), "contract-b");
    nodes.add(nodeB);
    policyNode = AgentOsServer.start(nodeB.vertx(), b, "contract-b", nodeB.identity()).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    Contract.registerCodecs(nodeB.vertx());
    // an echo on B: what arrives, decoded, goes back as it is
    nodeB.vertx().eventBus().consumer(ECHO, msg -> RequestBinding.reply(msg, msg.body()));
    ClusterNode nodeA = ClusterNode.start(config(name, ports[1], TestServer.freePort(), List.of(ports[0], ports[2]),
        new JsonArray().add("http")), new VertxOptions(), "contract-a");
    nodes.add(nodeA);
    asking = nodeA.vertx();
    Contract.registerCodecs(asking);
    ClusterNode nodeC = ClusterNode.start(config(name, ports[2], TestServer.freePort(), List.of(ports[0], ports[1]),
        new JsonArray().add("http")), new VertxOptions(), "contract-c");
    nodes.add(nodeC);
    older = nodeC.vertx(); // no Contract codecs: it plays a node of an older contract
  }

  @AfterAll
  static void stop() throws Exception {
    if (policyNode != null) policyNode.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    for (ClusterNode node : nodes) node.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (db != null) db.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("every message type crosses to another node and back equal to itself (a copy, not the object)")
  void everyTypeRoundTrips() throws Exception {
    for (ContractMessage message : ContractCodecTest.examples().toList()) {
      Object back = await(RequestBinding.request(asking.eventBus(), ECHO, message, new DeliveryOptions().setSendTimeout(10_000))
          .map(reply -> reply.body()));
      assertThat(back).as(message.getClass().getSimpleName()).isEqualTo(message).isNotSameAs(message);
    }
  }

  @Test
  @DisplayName("PolicyClient on one node gets typed decisions from the policy verticle on another")
  void decisionsAcrossNodes() throws Exception {
    PolicyClient client = new PolicyClient(asking, 10_000);
    Principal alice = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("agents:a1:run"), List.of(), Optional.empty(),
        new JsonObject(), 0);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Decision run = null;
    while (System.nanoTime() < deadline) {
      try {
        run = await(client.authorize(alice, "POST", "/agents/a1/runs"));
        break;
      } catch (Exception notYet) {
        Thread.sleep(200); // the policy verticle registers once it has loaded roles
      }
    }
    assertThat(run).isNotNull();
    assertThat(run.allowed()).isTrue();
    assertThat(await(client.authorize(alice, "DELETE", "/agents/a1")).allowed()).isFalse();
    assertThat(await(client.check(alice, "agents:run", "a1"))).isTrue();
    assertThat(await(client.check(alice, "agents:run", "a2"))).isFalse();
  }

  @Test
  @DisplayName("a decision asked for on one node and made on another is recorded there, and read back from the first")
  void decisionRecordsAcrossNodes() throws Exception {
    PolicyClient client = new PolicyClient(asking, 10_000);
    Principal carol = new Principal(Principal.Kind.JWT, Optional.of("carol-cluster"), List.of("agents:read"), List.of(),
        Optional.empty(), new JsonObject(), 0, Optional.empty(), Optional.of("jti:cluster-probe"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Decision denied = null;
    while (System.nanoTime() < deadline && denied == null) {
      try {
        denied = await(client.authorize(carol, "DELETE", "/agents/a1"));
      } catch (Exception notYet) {
        Thread.sleep(200); // the policy verticle registers once it has loaded roles
      }
    }
    assertThat(denied).isNotNull();
    assertThat(denied.allowed()).isFalse();
    dev.agentos.storage.StorageClient storage = new dev.agentos.storage.StorageClient(asking, 10_000);
    JsonArray data = new JsonArray();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < until) {
      data = await(storage.request(new StorageRequest.DecisionsList("", "carol-cluster", null, null, null, null, 1, 10)))
          .getJsonArray("data");
      if (!data.isEmpty()) break;
      Thread.sleep(100);
    }
    assertThat(data).hasSize(1);
    JsonObject record = data.getJsonObject(0);
    assertThat(record.getString("decision_id")).isEqualTo(denied.decisionId());
    assertThat(record.getString("result")).isEqualTo("deny");
    assertThat(record.getString("route")).isEqualTo("DELETE /agents/*");
    assertThat(record.getString("token_ref")).isEqualTo("jti:cluster-probe");
  }

  /** What a node of contract version 0 would write under the same codec name. */
  static final class OlderCodec implements MessageCodec<JsonObject, JsonObject> {
    private final String name;

    OlderCodec(String typeName) {
      this.name = Contract.NAME + "." + typeName;
    }

    @Override
    public void encodeToWire(Buffer buffer, JsonObject body) {
      byte[] json = new JsonObject().put("v", 0).put("type", name()).put("body", body).encode().getBytes(StandardCharsets.UTF_8);
      buffer.appendInt(json.length).appendBytes(json);
    }

    @Override
    public JsonObject decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonObject transform(JsonObject body) {
      return body;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  @Test
  @DisplayName("an authorize request of another contract version is refused with 400 and a message naming both versions")
  void olderVersionRefused() throws Exception {
    decisionsAcrossNodes(); // the policy verticle is serving
    OlderCodec codec = new OlderCodec("authorize-request");
    older.eventBus().registerCodec(codec);
    JsonObject request = new AuthorizeRequest(new Principal(Principal.Kind.JWT, Optional.of("mallory"), List.of("agent_os:admin"),
        List.of(), Optional.empty(), new JsonObject(), 0), "DELETE", "/agents/a1", false).toJson();
    CompletableFuture<Throwable> refused = older.eventBus().request(PolicyApi.ADDRESS, request, new DeliveryOptions()
            .setCodecName(codec.name()).setSendTimeout(10_000).addHeader(PolicyApi.ACTION_HEADER, PolicyApi.AUTHORIZE))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> ok != null ? new AssertionError("answered: " + ok.body()) : err);
    Throwable failure = refused.get(20, TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failure).failureCode()).isEqualTo(PolicyApi.BAD_REQUEST);
    assertThat(failure.getMessage()).contains("contract version 0").contains(Contract.NAME);
  }

  @Test
  @DisplayName("storage requests cross nodes typed: a session written from one node through another's storage verticle reads back")
  void storageAcrossNodes() throws Exception {
    decisionsAcrossNodes(); // node B is serving
    dev.agentos.storage.StorageClient storage = new dev.agentos.storage.StorageClient(asking, 10_000);
    Owner carol = Owner.user("carol-" + System.nanoTime());
    JsonObject created = await(storage.request(new StorageRequest.SessionsCreate(carol, "s-" + System.nanoTime(), "agent", "a1",
        "across", new JsonObject().put("k", "v"), null)));
    JsonObject read = await(storage.request(new StorageRequest.SessionsGet(carol, created.getString("session_id"), null, 1, 20)));
    assertThat(read.getString("session_name")).isEqualTo("across");
    assertThat(read.getJsonObject("session_state")).isEqualTo(new JsonObject().put("k", "v"));
    JsonObject page = await(storage.request(new StorageRequest.SessionsList(carol, null, null, null, 1, 20, null, null)));
    assertThat(page.getJsonArray("data")).hasSize(1);
  }

  @Test
  @DisplayName("a storage request of another contract version is refused with 400 naming both versions, and nothing is written")
  void olderStorageRequestRefused() throws Exception {
    decisionsAcrossNodes();
    OlderCodec codec = new OlderCodec("storage." + StorageApi.SESSIONS_CREATE);
    older.eventBus().registerCodec(codec);
    String owner = "dora-" + System.nanoTime();
    JsonObject request = new StorageRequest.SessionsCreate(Owner.user(owner), "s-old", "agent", "a1", null, null, null).toJson();
    Throwable failure = older.eventBus().request(StorageApi.ADDRESS, request, new DeliveryOptions().setCodecName(codec.name())
            .setSendTimeout(10_000).addHeader(StorageApi.ACTION_HEADER, StorageApi.SESSIONS_CREATE))
        .toCompletionStage().toCompletableFuture().handle((ok, err) -> ok != null ? new AssertionError("answered: " + ok.body()) : err)
        .get(20, TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failure).failureCode()).isEqualTo(StorageApi.BAD_REQUEST);
    assertThat(failure.getMessage()).contains("contract version 0").contains(Contract.NAME);
    JsonObject page = await(new dev.agentos.storage.StorageClient(asking, 10_000)
        .request(new StorageRequest.SessionsList(Owner.user(owner), null, null, null, 1, 20, null, null)));
    assertThat(page.getJsonArray("data")).isEmpty();
  }
}
