package dev.agentos.authn.impl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON of a token's header and claims, read as RFC 7493 (I-JSON) asks and RFC 8725 §3.9 means: UTF-8
 * only (no byte-order mark, no other encoding, no invalid or overlong sequences), no duplicate member names,
 * no comments or other extensions, no unpaired surrogates in any string, one value and nothing after it.
 * A token whose JSON breaks any rule is not a token; lenient parsing would let two readers of one token
 * see different claims (the last of two {@code scopes} members, for one).
 *
 * <p>Used for tokens only: the rest of the service keeps Vert.x's JSON codec.
 */
public final class StrictJson {
  /** Nesting beyond this is refused (a claims set is shallow; a deep one is an attack on the parser). */
  static final int MAX_DEPTH = 32;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
      .build();

  private StrictJson() {}

  /** Thrown for any JSON this class refuses; the message says which rule (never echoing the input). */
  public static final class Refused extends Exception {
    Refused(String why) {
      super(why, null, false, false);
    }
  }

  /** Parses {@code bytes} as exactly one JSON object under the rules above. */
  public static JsonObject object(byte[] bytes) throws Refused {
    String text = utf8(bytes);
    try (JsonParser parser = FACTORY.createParser(text)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) throw new Refused("not a JSON object");
      JsonObject value = readObject(parser, 1);
      if (parser.nextToken() != null) throw new Refused("content after the JSON object");
      return value;
    } catch (Refused e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // duplicate names, comments, unquoted names, trailing commas, NaN...: Jackson's strict defaults refuse them
      throw new Refused(e.getMessage() != null && e.getMessage().startsWith("Duplicate field") ? "duplicate member name" : "malformed JSON");
    }
  }

  private static String utf8(byte[] bytes) throws Refused {
    if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
      throw new Refused("byte-order mark");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new Refused("not UTF-8");
    }
  }

  private static JsonObject readObject(JsonParser parser, int depth) throws IOException, Refused {
    if (depth > MAX_DEPTH) throw new Refused("nested too deeply");
    Map<String, Object> members = new LinkedHashMap<>();
    for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
      String name = parser.currentName();
      checkText(name);
      members.put(name, readValue(parser, parser.nextToken(), depth));
    }
    return new JsonObject(members);
  }

  private static JsonArray readArray(JsonParser parser, int depth) throws IOException, Refused {
    if (depth > MAX_DEPTH) throw new Refused("nested too deeply");
    JsonArray items = new JsonArray();
    for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
      items.add(readValue(parser, token, depth));
    }
    return items;
  }

  private static Object readValue(JsonParser parser, JsonToken token, int depth) throws IOException, Refused {
    return switch (token) {
      case START_OBJECT -> readObject(parser, depth + 1);
      case START_ARRAY -> readArray(parser, depth + 1);
      case VALUE_STRING -> {
        String text = parser.getText();
        checkText(text);
        yield text;
      }
      case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
        case INT -> parser.getIntValue();
        case LONG -> parser.getLongValue();
        default -> parser.getBigIntegerValue();
      };
      case VALUE_NUMBER_FLOAT -> {
        double d = parser.getDoubleValue();
        if (!Double.isFinite(d)) throw new Refused("number out of range");
        yield d;
      }
      case VALUE_TRUE -> true;
      case VALUE_FALSE -> false;
      case VALUE_NULL -> null;
      default -> throw new Refused("malformed JSON");
    };
  }

  /** I-JSON: strings are sequences of Unicode scalar values; an escaped lone surrogate (\\uD800) is not one. */
  private static void checkText(String text) throws Refused {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) throw new Refused("unpaired surrogate");
        i++;
      } else if (Character.isLowSurrogate(c)) {
        throw new Refused("unpaired surrogate");
      }
    }
  }
}
