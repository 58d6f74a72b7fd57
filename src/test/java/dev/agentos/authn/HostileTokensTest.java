package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Seeded random mutations of valid tokens (bit flips in each segment, truncation, re-encoding, segment swaps,
 * junk): never accepted unless unchanged, never a 5xx. The seed is fixed so a failure replays exactly.
 */
@DisplayName("Hostile tokens: mutations of valid tokens")
class HostileTokensTest {
  private static final long SEED = 20261128L;
  private static TestDatabase db;
  private static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("authorization", new JsonObject()
        .put("algorithms", new io.vertx.core.json.JsonArray().add("HS256").add("ES256"))
        .put("verification_keys", new io.vertx.core.json.JsonArray().add(Tokens.SECRET).add(Tokens.publicPem("ES256")))));
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  private static List<String> mutations(String token, Random random, int count) {
    List<String> out = new ArrayList<>();
    String[] parts = token.split("\\.", -1);
    Base64.Decoder dec = Base64.getUrlDecoder();
    Base64.Encoder enc = Base64.getUrlEncoder().withoutPadding();
    for (int i = 0; i < count; i++) {
      String m;
      switch (random.nextInt(8)) {
        case 0 -> { // flip one bit in one decoded segment
          int seg = random.nextInt(3);
          byte[] bytes = dec.decode(parts[seg]);
          if (bytes.length == 0) { m = token + "x"; break; }
          bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
          String[] copy = parts.clone();
          copy[seg] = enc.encodeToString(bytes);
          m = String.join(".", copy);
        }
        case 1 -> m = token.substring(0, random.nextInt(token.length())); // truncation
        case 2 -> m = parts[1] + "." + parts[0] + "." + parts[2]; // header/payload swap
        case 3 -> { // re-encoding with padding or standard alphabet
          m = parts[0] + "." + Base64.getEncoder().encodeToString(dec.decode(parts[1])) + "." + parts[2];
        }
        case 4 -> { // a character replaced anywhere
          char[] c = token.toCharArray();
          c[random.nextInt(c.length)] = "AZaz09-_.=+/% \u00e9".charAt(random.nextInt(15));
          m = new String(c);
        }
        case 5 -> m = token + "." + parts[2]; // extra segment
        case 6 -> { // payload replaced by an escalated one, signature kept
          String escalated = enc.encodeToString(Tokens.claims("mallory", "agent_os:admin").encode().getBytes(StandardCharsets.UTF_8));
          m = parts[0] + "." + escalated + "." + parts[2];
        }
        default -> { // random junk of random length
          byte[] junk = new byte[1 + random.nextInt(300)];
          random.nextBytes(junk);
          m = enc.encodeToString(junk);
        }
      }
      out.add(m);
    }
    return out;
  }

  @Test
  @DisplayName("400 mutated HS256 and ES256 tokens: each is refused (401/431) unless identical to the original, none is a 5xx")
  void mutationsNeverPass() {
    Random random = new Random(SEED);
    List<String> originals = List.of(Tokens.hs256("alice", "metrics:read"), Tokens.signed("ES256", Tokens.claims("alice", "metrics:read")));
    int checked = 0;
    for (String original : originals) {
      assertThat(s.get("/metrics", original).statusCode()).isEqualTo(200);
      for (String mutated : mutations(original, random, 200)) {
        int status;
        try {
          status = TestServer.send(s.request(io.vertx.core.http.HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer " + mutated))
              .statusCode();
        } catch (AssertionError | IllegalArgumentException e) {
          continue; // the client refused to send an illegal header value: nothing reached the server
        }
        checked++;
        assertThat(status).as("mutation %s", mutated).isLessThan(500);
        if (!mutated.equals(original) && !mutated.strip().equals(original)) {
          assertThat(status).as("mutation %s", mutated).isNotEqualTo(200);
        }
      }
    }
    assertThat(checked).isGreaterThan(300);
  }
}
