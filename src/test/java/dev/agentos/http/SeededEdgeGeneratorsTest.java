package dev.agentos.http;

import dev.agentos.http.support.InputRules;
import dev.agentos.http.pipeline.ProtocolGuard;
import static dev.agentos.testing.TestServer.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded generators for the classes the outside suites found (the table-driven tests name the known cases; these
 * try cases nobody listed): JSON-level mutations of signed tokens, method spellings, and id alphabets. Each seed
 * is a fixed, reproducible run.
 */
@DisplayName("Seeded generators: token JSON, method spellings, id alphabets")
class SeededEdgeGeneratorsTest {
  private static TestDatabase db;
  private static TestServer s;
  private static final String USER = Tokens.hs256("gen", "agents:read", "sessions:read", "sessions:write");

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject());
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  /** A claims text with one random JSON-level defect a lenient parser would read past. */
  static byte[] mutatedClaims(Random r) {
    String base = "{\"sub\":\"gen\",\"exp\":" + (Tokens.now() + 600) + ",\"scopes\":[\"agents:read\"]";
    // each is invalid where it lands (after '{', ',', ':' or '['): a comment, a NUL, a quote style, NaN, a stray token
    String[] junk = {"/*c*/", "//c\n", "\u0000", "'x'", "NaN,", ",", "{", "]", "}"};
    return switch (r.nextInt(8)) {
      case 0 -> (base + ",\"scopes\":[\"agents:read\"]}").getBytes(StandardCharsets.UTF_8); // a duplicate
      case 1 -> { // a comment or stray token between two JSON tokens (never inside a string, where it is just text)
        String text = base + "}";
        List<Integer> between = new ArrayList<>();
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
          char c = text.charAt(i);
          if (c == '"' && (i == 0 || text.charAt(i - 1) != '\\')) inString = !inString;
          if (!inString && (c == '{' || c == ',' || c == ':' || c == '[')) between.add(i + 1);
        }
        int at = between.get(r.nextInt(between.size()));
        yield (text.substring(0, at) + junk[r.nextInt(junk.length)] + text.substring(at)).getBytes(StandardCharsets.UTF_8);
      }
      case 2 -> (base + "}").getBytes(r.nextBoolean() ? StandardCharsets.UTF_16LE : StandardCharsets.UTF_16BE);
      case 3 -> { // one invalid UTF-8 byte at a random place inside a string
        byte[] text = (base + ",\"n\":\"abcdefgh\"}").getBytes(StandardCharsets.UTF_8);
        int inside = text.length - 4 - r.nextInt(6);
        text[inside] = (byte) (0x80 + r.nextInt(0x40));
        yield text;
      }
      case 4 -> (base + "}" + " x{}[]".charAt(1 + r.nextInt(5))).getBytes(StandardCharsets.UTF_8); // trailing content
      case 5 -> { // a lone surrogate escape in a random member
        yield (base + ",\"k" + r.nextInt(99) + "\":\"" + (r.nextBoolean() ? "\\ud8" : "\\udc") + Integer.toHexString(16 + r.nextInt(200)) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
      }
      case 6 -> { // a date that is no date
        String[] exps = {"1e400", "-1e400", "9223372036854775807", "253402300800", "99999999999999999999", "\"" + Tokens.now() + "\""};
        yield ("{\"sub\":\"gen\",\"exp\":" + exps[r.nextInt(exps.length)] + ",\"scopes\":[\"agents:read\"]}").getBytes(StandardCharsets.UTF_8);
      }
      default -> { // a byte-order mark, or a duplicate in a nested object
        if (r.nextBoolean()) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
          out.writeBytes((base + "}").getBytes(StandardCharsets.UTF_8));
          yield out.toByteArray();
        }
        yield (base + ",\"realm_access\":{\"roles\":[],\"roles\":[\"admin\"]}}").getBytes(StandardCharsets.UTF_8);
      }
    };
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {20261201L, 7L, 424242L})
  @DisplayName("150 signed tokens, each with one random JSON-level defect: every one is a 401, none a 5xx")
  void tokenJsonMutations(long seed) {
    Random r = new Random(seed);
    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      byte[] claims = mutatedClaims(r);
      int status = s.get("/agents", Tokens.rawHs256("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8), claims)).statusCode();
      if (status != 401) accepted.add(status + " " + new String(claims, StandardCharsets.ISO_8859_1));
    }
    assertThat(accepted).isEmpty();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {20261201L, 99L})
  @DisplayName("100 method spellings (random case of served methods, random tokens): served ones pass the guard, others are 405/501, never another 5xx")
  void methodSpellings(long seed) throws Exception {
    Random r = new Random(seed);
    String[] served = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"};
    String tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~";
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String method;
      if (r.nextBoolean()) {
        StringBuilder m = new StringBuilder(served[r.nextInt(served.length)]);
        for (int c = 0; c < m.length(); c++) if (r.nextBoolean()) m.setCharAt(c, Character.toLowerCase(m.charAt(c)));
        method = m.toString();
      } else {
        StringBuilder m = new StringBuilder();
        for (int c = 0, n = 1 + r.nextInt(12); c < n; c++) m.append(tokenChars.charAt(r.nextInt(tokenChars.length())));
        method = m.toString();
      }
      int status = raw(method + " /sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + USER + "\r\nContent-Length: 0\r\n\r\n");
      // a served method (exact spelling) may still be a 405 on a path without it; anything else is 405/501 from the
      // guard (or 400 from the HTTP decoder for what is not a request line at all); never another 4xx or any 5xx
      boolean ok = ProtocolGuard.SERVED.contains(method) ? status > 0 && status < 500
          : status == 405 || status == 501 || status == 400;
      if (!ok) wrong.add(method + " -> " + status);
    }
    assertThat(wrong).isEmpty();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {20261201L, 5L})
  @DisplayName("200 random ids: an id is created exactly when it is in the alphabet, and then it is addressable")
  void idAlphabets(long seed) {
    Random r = new Random(seed);
    String pool = "aZ09._:@-/ ?#%\\\"'<>{}|^`~!$&()*+,;=[]\tüé中\u0001";
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      StringBuilder id = new StringBuilder();
      int length = r.nextInt(10) == 0 ? 120 + r.nextInt(20) : 1 + r.nextInt(8);
      for (int c = 0; c < length; c++) id.append(pool.charAt(r.nextInt(pool.length())));
      String candidate = id.toString() + "-" + seed + "-" + i; // unique, and the suffix keeps the alphabet
      boolean valid = candidate.matches(InputRules.ID_RULE);
      var created = call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", candidate));
      if (valid) {
        int read = s.get("/sessions/" + candidate + "?type=agent", USER).statusCode();
        if (created.statusCode() != 201 || read != 200) wrong.add(candidate + " valid: create " + created.statusCode() + ", read " + read);
      } else if (created.statusCode() != 422) {
        wrong.add(candidate + " invalid: create " + created.statusCode());
      }
    }
    assertThat(wrong).isEmpty();
  }

  private static int raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] head = new byte[12];
      int n = in.readNBytes(head, 0, 12);
      String text = new String(head, 0, n, StandardCharsets.ISO_8859_1);
      return text.startsWith("HTTP/1.") ? Integer.parseInt(text.substring(9, 12)) : -1;
    }
  }
}
