package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.authn.JwksUrlSource;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Protocol edges over raw sockets: methods in any spelling, smuggling building blocks, oversized bodies, cookies. */
@DisplayName("HTTP protocol edges")
class ProtocolEdgesTest {
  private static final int BODY_LIMIT = 4096;
  private static TestDatabase db;
  private static TestServer s;
  private static final String TOKEN = Tokens.hs256("alice", "agents:read", "agents:run", "sessions:read", "sessions:write");

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("http", new JsonObject().put("max_body_bytes", BODY_LIMIT))
        .put("authorization", new JsonObject().put("token_source", "both")));
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  /** One raw exchange: the status line and headers and body as text, and whether the server closed afterwards. */
  record Exchange(int status, String text, boolean closed) {
    JsonObject body() {
      int at = text.indexOf("\r\n\r\n");
      return new JsonObject(text.substring(at + 4).strip());
    }
  }

  private static Exchange exchange(String head, byte[] body) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) out.write(body);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      boolean closed = false;
      try {
        while (true) {
          int n = in.read(buf);
          if (n < 0) {
            closed = true;
            break;
          }
          got.write(buf, 0, n);
          String text = got.toString(StandardCharsets.ISO_8859_1);
          // a complete keep-alive answer: stop reading after its body
          int end = text.indexOf("\r\n\r\n");
          if (end > 0 && text.toLowerCase().contains("content-length:")) {
            int cl = Integer.parseInt(text.toLowerCase().replaceAll("(?s).*content-length: *(\\d+).*", "$1"));
            if (got.size() >= end + 4 + cl && !text.toLowerCase().contains("connection: close")) break;
          }
        }
      } catch (SocketTimeoutException stillOpen) {
        closed = false;
      } catch (IOException reset) {
        closed = true;
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      int status = text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
      return new Exchange(status, text, closed);
    }
  }

  private static String request(String method, String path, String... headers) {
    StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + "\r\n");
    for (String h : headers) head.append(h).append("\r\n");
    return head.append("\r\n").toString();
  }

  static Stream<Arguments> methods() {
    return Stream.of(
        Arguments.of("post", 501), Arguments.of("Post", 501), Arguments.of("get", 501), Arguments.of("delete", 501),
        Arguments.of("FOO", 501), Arguments.of("PROPFIND", 501), Arguments.of("M-SEARCH", 501), Arguments.of("BREW", 501),
        Arguments.of("TRACE", 405), Arguments.of("CONNECT", 405));
  }

  @ParameterizedTest(name = "{0} → {1}")
  @MethodSource("methods")
  @DisplayName("a method the router does not serve, in any spelling, gets 405 or 501 with {detail} on every kind of route, never a 5xx other than 501")
  void unservedMethods(String method, int expected) throws Exception {
    for (String path : List.of("/agents/assistant/runs", "/sessions", "/", "/health", "/nowhere")) {
      Exchange e = exchange(request(method, path, "Content-Length: 0"), null);
      assertThat(e.status()).as(method + " " + path + "\n" + e.text()).isEqualTo(expected);
      assertThat(e.body().getString("detail")).isNotBlank();
    }
  }

  static Stream<Arguments> ambiguousFraming() {
    return Stream.of(
        Arguments.of("Content-Length with Transfer-Encoding", new String[] {"Content-Length: 5", "Transfer-Encoding: chunked"}, "0\r\n\r\n"),
        Arguments.of("Transfer-Encoding gzip", new String[] {"Transfer-Encoding: gzip"}, ""),
        Arguments.of("Transfer-Encoding gzip, chunked", new String[] {"Transfer-Encoding: gzip, chunked"}, "0\r\n\r\n"),
        Arguments.of("Transfer-Encoding identity", new String[] {"Transfer-Encoding: identity"}, ""),
        Arguments.of("two Transfer-Encoding headers", new String[] {"Transfer-Encoding: chunked", "Transfer-Encoding: chunked"}, "0\r\n\r\n"),
        Arguments.of("two different Content-Length headers", new String[] {"Content-Length: 2", "Content-Length: 3"}, "{}"),
        Arguments.of("obsolete line folding", new String[] {"Content-Type: application/json", "X-Folded: a", " b"}, ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ambiguousFraming")
  @DisplayName("request-smuggling building blocks get 400 and the connection is closed")
  void smugglingRefused(String what, String[] headers, String body) throws Exception {
    Exchange e = exchange(request("POST", "/sessions", headers), body.getBytes(StandardCharsets.ISO_8859_1));
    assertThat(e.status()).as(what + "\n" + e.text()).isEqualTo(400);
    assertThat(e.closed()).as("closed after " + what).isTrue();
  }

  @Test
  @DisplayName("a chunked body (any case of 'chunked') is still accepted")
  void chunkedAccepted() throws Exception {
    String json = "{\"session_id\": \"chunked-ok\"}";
    String chunk = Integer.toHexString(json.length()) + "\r\n" + json + "\r\n0\r\n\r\n";
    Exchange e = exchange(request("POST", "/sessions", "Content-Type: application/json", "Transfer-Encoding: Chunked"),
        chunk.getBytes(StandardCharsets.ISO_8859_1));
    assertThat(e.status()).as(e.text()).isEqualTo(201);
  }

  @Test
  @DisplayName("after a 413 the connection closes instead of reading the rest of a huge body")
  void oversizedBodyClosesTheConnection() throws Exception {
    long announced = 200L << 20; // 200 MB announced
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request("POST", "/sessions", "Content-Type: application/json", "Content-Length: " + announced)
          .getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[64 * 1024];
      java.util.Arrays.fill(chunk, (byte) ' ');
      long sent = 0;
      long deadline = System.nanoTime() + 10_000_000_000L;
      try {
        while (sent < announced && System.nanoTime() < deadline) {
          out.write(chunk);
          sent += chunk.length;
        }
      } catch (IOException closedByServer) {
        // the server stopped reading and closed: what we want
      }
      assertThat(sent).as("bytes the client could send before the server closed").isLessThan(64L << 20);
      String answer = new String(socket.getInputStream().readNBytes(4096), StandardCharsets.ISO_8859_1);
      if (!answer.isEmpty()) assertThat(answer).startsWith("HTTP/1.1 413");
    } catch (java.net.SocketException resetBeforeAnswer) {
      // the connection was reset after the drain bound: the server did not read the 200 MB either
    }
  }

  @Test
  @DisplayName("a slightly oversized body gets its 413 answer with {detail} before the close")
  void oversizedAnswerArrives() throws Exception {
    byte[] body = new byte[BODY_LIMIT * 2];
    java.util.Arrays.fill(body, (byte) ' ');
    Exchange e = exchange(request("POST", "/sessions", "Content-Type: application/json", "Content-Length: " + body.length), body);
    assertThat(e.status()).isEqualTo(413);
    assertThat(e.body().getString("detail")).isNotBlank();
    assertThat(e.closed()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"one header with two token cookies", "two Cookie headers each with one"})
  @DisplayName("two token cookies are a 401, as two Authorization headers are")
  void twoTokenCookies(String how) throws Exception {
    String cookies = how.startsWith("one") ? "Cookie: access_token=" + TOKEN + "; access_token=" + TOKEN
        : "Cookie: access_token=" + TOKEN + "\r\nCookie: other=1; access_token=" + TOKEN;
    String head = "GET /agents HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cookies + "\r\n\r\n";
    Exchange e = exchange(head, null);
    assertThat(e.status()).as(e.text()).isEqualTo(401);
    String one = "GET /agents HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: other=1; access_token=" + TOKEN + "\r\n\r\n";
    assertThat(exchange(one, null).status()).as("one token cookie").isEqualTo(200);
  }

  @Test
  @DisplayName("a JWKS URL's user info and query never reach a log line")
  void jwksUrlRedacted() {
    assertThat(JwksUrlSource.redacted("https://user:secret@idp.example:8443/certs?api_key=k&x=1#f"))
        .isEqualTo("https://[redacted]@idp.example:8443/certs?[redacted]").doesNotContain("secret").doesNotContain("api_key");
    assertThat(JwksUrlSource.redacted("https://idp.example/realms/a/protocol/openid-connect/certs"))
        .isEqualTo("https://idp.example/realms/a/protocol/openid-connect/certs");
  }
}
