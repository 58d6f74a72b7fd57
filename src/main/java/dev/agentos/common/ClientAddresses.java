package dev.agentos.common;

import io.vertx.core.http.HttpServerRequest;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's address for per-client limits. The peer's address, unless the peer is one of
 * {@code http.trusted_proxies} (addresses or CIDR blocks): then the nearest address in {@code X-Forwarded-For}
 * that is not itself a trusted proxy. A header from any other peer is ignored, so a client cannot choose its
 * own address.
 */
public final class ClientAddresses {
  private record Block(byte[] network, int prefix) {
    boolean contains(byte[] address) {
      if (address.length != network.length) return false;
      BigInteger mask = prefix == 0 ? BigInteger.ZERO
          : BigInteger.ONE.shiftLeft(address.length * 8).subtract(BigInteger.ONE).shiftRight(prefix).not();
      return new BigInteger(1, address).and(mask).equals(new BigInteger(1, network).and(mask));
    }
  }

  private final List<Block> trusted;

  private ClientAddresses(List<Block> trusted) {
    this.trusted = trusted;
  }

  /** Parses {@code http.trusted_proxies}; a value that is no address or CIDR block is an
   * {@link IllegalArgumentException} (the config loader reports it as a config error of that key). */
  public static ClientAddresses of(List<String> trustedProxies) {
    List<Block> blocks = new ArrayList<>();
    for (String entry : trustedProxies) {
      String text = entry.strip();
      int slash = text.indexOf('/');
      try {
        byte[] address = literal(slash < 0 ? text : text.substring(0, slash));
        int prefix = slash < 0 ? address.length * 8 : Integer.parseInt(text.substring(slash + 1));
        if (prefix < 0 || prefix > address.length * 8) throw new NumberFormatException();
        blocks.add(new Block(address, prefix));
      } catch (RuntimeException | UnknownHostException e) {
        throw new IllegalArgumentException("expected IP addresses or CIDR blocks, got '" + entry + "'");
      }
    }
    return new ClientAddresses(List.copyOf(blocks));
  }

  /** An IP literal only: never a DNS lookup. */
  private static byte[] literal(String text) throws UnknownHostException {
    if (!text.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) throw new UnknownHostException(text);
    return InetAddress.getByName(text).getAddress();
  }

  private boolean isTrusted(String address) {
    if (trusted.isEmpty() || address == null) return false;
    try {
      byte[] bytes = literal(address.strip());
      for (Block b : trusted) if (b.contains(bytes)) return true;
      return false;
    } catch (UnknownHostException | RuntimeException e) {
      return false;
    }
  }

  public String of(HttpServerRequest request) {
    var remote = request.remoteAddress();
    String peer = remote == null ? "unknown" : remote.hostAddress();
    if (!isTrusted(peer)) return peer;
    List<String> hops = new ArrayList<>();
    for (String header : request.headers().getAll("X-Forwarded-For")) {
      for (String hop : header.split(",")) if (!hop.isBlank()) hops.add(hop.strip());
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      if (!isTrusted(hops.get(i))) return hops.get(i);
    }
    return hops.isEmpty() ? peer : hops.get(0);
  }
}
