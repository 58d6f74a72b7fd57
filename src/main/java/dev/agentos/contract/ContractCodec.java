package dev.agentos.contract;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The codec of one {@link ContractMessage} type. Local delivery passes the immutable record itself (no copy, no
 * JSON); clustered delivery writes {@code {"v": VERSION, "type": name, "body": json}} and the receiver refuses
 * a frame of another contract version or type with {@link ContractMismatch}, instead of reading it as its own.
 */
public final class ContractCodec<T extends ContractMessage> implements MessageCodec<T, T> {
  private final Class<T> type;
  private final String name;
  private final Function<JsonObject, T> fromJson;

  ContractCodec(Class<T> type, String typeName, Function<JsonObject, T> fromJson) {
    this.type = type;
    this.name = Contract.NAME + "." + typeName;
    this.fromJson = fromJson;
  }

  /** Thrown where a message of another contract version or type is read: the sender gets a clear failure. */
  public static final class ContractMismatch extends IllegalArgumentException {
    ContractMismatch(String message) {
      super(message);
    }
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public void encodeToWire(Buffer buffer, T message) {
    byte[] json = new JsonObject().put("v", Contract.VERSION).put("type", name).put("body", message.toJson()).encode()
        .getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(json.length).appendBytes(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    JsonObject frame = new JsonObject(buffer.getString(pos + 4, pos + 4 + length, "UTF-8"));
    Object version = frame.getValue("v");
    if (!Integer.valueOf(Contract.VERSION).equals(version)) {
      throw new ContractMismatch("a message of contract version " + version + " arrived; this node speaks " + Contract.NAME);
    }
    if (!name.equals(frame.getValue("type"))) {
      throw new ContractMismatch("a " + frame.getValue("type") + " message arrived as " + name);
    }
    return fromJson.apply(frame.getJsonObject("body"));
  }

  @Override
  public T transform(T message) {
    return message; // immutable: the receiver may share it
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
