package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Connection-level limits (http.max_connections, http.max_streams, http.header_timeout_seconds) with raw
 * sockets, so that what is measured is what a hostile client can do.
 */
@DisplayName("Connection, stream and slow-client limits")
class ConnectionLimitsTest {
  private static TestDatabase db;
  private static Vertx fakeVertx;
  private static HttpServer holdingProvider;

  @BeforeAll
  static void setUp() throws Exception {
    db = TestDatabase.create();
    fakeVertx = Vertx.vertx();
    // an OpenAI-compatible provider that sends one piece and then holds the stream open
    holdingProvider = fakeVertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      req.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
          .write("data: {\"choices\":[{\"delta\":{\"content\":\"thinking\"}}]}\n\n");
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void tearDown() throws Exception {
    fakeVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    db.close();
  }

  private static TestServer start(JsonObject http) throws Exception {
    String base = "http://127.0.0.1:" + holdingProvider.actualPort() + "/v1";
    return TestServer.start(db, new JsonObject().put("http", http.put("instances", 1))
        .put("agents", new JsonArray().add(new JsonObject().put("id", "holder").put("model", new JsonObject()
            .put("provider", "openai").put("id", "hold").put("base_url", base).put("timeout_seconds", 60)))));
  }

  private static Socket connect(TestServer server) throws Exception {
    Socket socket = new Socket("127.0.0.1", server.port());
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static String exchange(Socket socket, String request) throws Exception {
    OutputStream out = socket.getOutputStream();
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return readHead(socket.getInputStream());
  }

  private static String readHead(InputStream in) throws Exception {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      sb.append((char) c);
      if (sb.toString().contains("\r\n\r\n")) {
        int length = contentLength(sb.toString());
        for (int i = 0; i < length && (c = in.read()) != -1; i++) sb.append((char) c);
        break;
      }
    }
    return sb.toString();
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) return Integer.parseInt(line.substring(15).trim());
    }
    return 0;
  }

  private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";
  private static final String INFO = "GET /info HTTP/1.1\r\nHost: localhost\r\n\r\n";

  @Test
  @DisplayName("past http.max_connections a new connection gets 503 {detail} and is closed (probes excepted); closing one frees a place")
  void connectionLimit() throws Exception {
    TestServer server = start(new JsonObject().put("max_connections", 2).put("header_timeout_seconds", 60));
    try (Socket first = connect(server); Socket second = connect(server)) {
      assertThat(exchange(first, HEALTH)).startsWith("HTTP/1.1 200");
      assertThat(exchange(second, HEALTH)).startsWith("HTTP/1.1 200");
      try (Socket third = connect(server)) {
        String refused = exchange(third, INFO);
        assertThat(refused).startsWith("HTTP/1.1 503").containsIgnoringCase("connection: close")
            .contains("{\"detail\":\"Too many connections\"}");
        assertThat(third.getInputStream().read()).as("the server closed the connection").isEqualTo(-1);
      }
      try (Socket probe = connect(server)) {
        assertThat(exchange(probe, HEALTH)).as("probes are answered past the limit").startsWith("HTTP/1.1 200");
      }
      first.close();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      String again = "";
      while (System.nanoTime() < deadline) {
        try (Socket fourth = connect(server)) {
          again = exchange(fourth, INFO);
        }
        if (again.startsWith("HTTP/1.1 200")) break;
        Thread.sleep(50);
      }
      assertThat(again).startsWith("HTTP/1.1 200");
    } finally {
      server.close();
    }
  }

  @Test
  @DisplayName("a connection that does not finish its request head within http.header_timeout_seconds is closed")
  void headerTimeout() throws Exception {
    TestServer server = start(new JsonObject().put("header_timeout_seconds", 1));
    try (Socket slowloris = connect(server)) {
      slowloris.getOutputStream().write("GET /health HTTP/1.1\r\nHost: loc".getBytes(StandardCharsets.US_ASCII));
      slowloris.getOutputStream().flush();
      long start = System.nanoTime();
      int read;
      try {
        read = slowloris.getInputStream().read();
      } catch (SocketTimeoutException e) {
        read = -2;
      }
      assertThat(read).as("closed by the server, not timed out by the client").isEqualTo(-1);
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
      // a connection that delivered its head in time is not affected
      try (Socket normal = connect(server)) {
        assertThat(exchange(normal, HEALTH)).startsWith("HTTP/1.1 200");
        Thread.sleep(1_500);
        assertThat(exchange(normal, HEALTH)).as("a kept-alive connection past the header timeout").startsWith("HTTP/1.1 200");
      }
    } finally {
      server.close();
    }
  }

  @Test
  @DisplayName("a client sending its headers byte by byte does not stall other clients")
  void slowClientDoesNotStallOthers() throws Exception {
    TestServer server = start(new JsonObject().put("header_timeout_seconds", 30));
    String admin = Tokens.admin();
    byte[] request = ("GET /agents HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    try (Socket slow = connect(server)) {
      CompletableFuture<String> slowAnswer = CompletableFuture.supplyAsync(() -> {
        try {
          OutputStream out = slow.getOutputStream();
          for (byte b : request) {
            out.write(b);
            out.flush();
            Thread.sleep(10);
          }
          return readHead(slow.getInputStream());
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      // while the slow client is still sending (≈ 3 s), others are served
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 50; i++) statuses.add(server.get("/agents", admin).statusCode());
      assertThat(slowAnswer).as("the slow client is still sending while 50 other requests were served").isNotDone();
      assertThat(statuses).containsOnly(200);
      assertThat(slowAnswer.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200");
    } finally {
      server.close();
    }
  }

  @Test
  @DisplayName("past http.max_streams a streamed run gets 429 {detail}; when a stream ends its place is free again")
  void streamLimit() throws Exception {
    TestServer server = start(new JsonObject().put("max_streams", 1));
    String token = Tokens.hs256("alice", "agents:*:run");
    String body = "message=hello&stream=true";
    byte[] run = ("POST /agents/holder/runs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
        .getBytes(StandardCharsets.US_ASCII);
    try {
      try (Socket first = connect(server)) {
        first.getOutputStream().write(run);
        first.getOutputStream().flush();
        assertThat(readHead(first.getInputStream())).startsWith("HTTP/1.1 200").contains("text/event-stream");
        var refused = server.request(io.vertx.core.http.HttpMethod.POST, "/agents/holder/runs")
            .putHeader("Authorization", "Bearer " + token)
            .sendForm(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("message", "hi").add("stream", "true"))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.bodyAsJsonObject().getString("detail")).isEqualTo("Too many concurrent streams");
      }
      // the first client went away: its stream is released
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      String head = "";
      while (System.nanoTime() < deadline) {
        try (Socket next = connect(server)) {
          next.getOutputStream().write(run);
          next.getOutputStream().flush();
          head = readHead(next.getInputStream());
        }
        if (head.startsWith("HTTP/1.1 200")) break;
        Thread.sleep(100);
      }
      assertThat(head).startsWith("HTTP/1.1 200");
    } finally {
      server.close();
    }
  }

  @Test
  @DisplayName("the limits are configuration: env overrides reach them")
  void limitsAreConfig() {
    var http = dev.agentos.config.ConfigLoader.fromJson(new JsonObject(), Map.of("AGENTOS_HTTP_MAX_CONNECTIONS", "7",
        "AGENTOS_HTTP_MAX_STREAMS", "3", "AGENTOS_HTTP_HEADER_TIMEOUT_SECONDS", "2", "AGENTOS_HTTP_INSTANCES", "2")).http();
    assertThat(http.maxConnections()).isEqualTo(7);
    assertThat(http.perInstance(http.maxConnections())).isEqualTo(4);
    assertThat(http.perInstance(http.maxStreams())).isEqualTo(2);
    assertThat(http.headerTimeoutSeconds()).isEqualTo(2);
  }
}
