package dev.agentos.testing;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What an attacker on the cluster network writes: a Vert.x 5 clustered-event-bus frame, byte for byte as
 * {@code ClusteredMessage.encodeToWire} makes it (wire version 2, JsonObject codec 13, a "send" with no reply).
 */
public final class EventBusFrames {
  private EventBusFrames() {}

  public static byte[] send(String address, Map<String, String> headers, JsonObject body) {
    Buffer b = Buffer.buffer();
    b.appendInt(0);
    b.appendByte((byte) 2);
    b.appendByte((byte) 13);
    b.appendByte((byte) 0);
    string(b, address);
    b.appendInt(0); // no reply address
    string(b, "attacker-node");
    int headersAt = b.length();
    b.appendInt(0);
    b.appendInt(headers.size());
    headers.forEach((k, v) -> {
      string(b, k);
      string(b, v);
    });
    b.setInt(headersAt, b.length() - headersAt);
    Buffer json = body.toBuffer();
    b.appendInt(json.length());
    b.appendBuffer(json);
    b.setInt(0, b.length() - 4);
    return b.getBytes();
  }

  private static void string(Buffer b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length);
    b.appendBytes(bytes);
  }

  /**
   * Writes {@code bytes} on a fresh plain TCP connection and reads until the peer closes it. Returns true if the
   * peer closed (or reset) the connection within {@code timeoutMs} without sending anything but TLS records.
   */
  public static boolean writeAndExpectClose(int port, byte[] bytes, int timeoutMs) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(timeoutMs);
      OutputStream out = socket.getOutputStream();
      out.write(bytes);
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[4096];
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (SocketTimeoutException stillOpen) {
          return false;
        } catch (java.io.IOException reset) {
          return true;
        }
        if (n < 0) return true;
        // anything the peer says must be a TLS record (an alert), never an event-bus frame
        if (n > 0 && buf[0] != 0x15 && buf[0] != 0x16) return false;
      }
    }
  }
}
