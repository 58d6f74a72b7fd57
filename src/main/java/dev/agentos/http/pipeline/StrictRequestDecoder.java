package dev.agentos.http.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.List;

/**
 * Vert.x's HTTP/1 request decoder, refusing what Netty accepts quietly in a way a proxy in front could read
 * differently (RFC 9112 §6.1, §5.2): {@code Content-Length} together with {@code Transfer-Encoding} (Netty drops
 * the length) and obsolete line folding (Netty joins the lines). Either makes the request invalid, which the
 * server answers with 400 and closes the connection ({@code HttpVerticle.invalidRequest}); nothing after it on
 * the connection is read. Installed on each new connection in place of Vert.x's own decoder, whose behaviour it
 * otherwise keeps.
 */
public final class StrictRequestDecoder extends VertxHttpRequestDecoder {
  static final String CL_AND_TE = "Content-Length and Transfer-Encoding together are not accepted";
  static final String FOLDING = "Obsolete line folding in a header is not accepted";

  /** True while the next bytes belong to a request head (at the start and after each complete request). */
  private boolean atHead = true;

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  /** Replaces the connection's decoder; call from the server's connection handler, before any request is read. */
  public static void install(HttpConnection connection, HttpServerOptions options) {
    if (!(connection instanceof io.vertx.core.http.impl.HttpServerConnection server)) return;
    ChannelHandlerContext ctx = server.channelHandlerContext();
    if (ctx.pipeline().get("httpDecoder") instanceof VertxHttpRequestDecoder) {
      ctx.pipeline().replace("httpDecoder", "httpDecoder", new StrictRequestDecoder(options));
    }
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    // Netty's default removes Content-Length and goes on; a proxy that honoured the length would see another message
    throw new IllegalArgumentException(CL_AND_TE);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (atHead && foldsALine(in)) {
      in.skipBytes(in.readableBytes());
      // an HTTP/1.1 stand-in (Netty's own is 1.0), so the 400 goes back as 1.1 like every other answer
      HttpMessage invalid = new io.netty.handler.codec.http.DefaultFullHttpRequest(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
          io.netty.handler.codec.http.HttpMethod.GET, "/bad-request");
      invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(FOLDING)));
      out.add(invalid);
      atHead = false;
      return;
    }
    int before = out.size();
    super.decode(ctx, in, out);
    for (int i = before; i < out.size(); i++) {
      Object decoded = out.get(i);
      if (decoded instanceof HttpRequest) atHead = false;
      if (decoded instanceof LastHttpContent) atHead = true;
    }
  }

  /** A line of the head (up to its blank line) that begins with a space or a tab continues the previous one. */
  static boolean foldsALine(ByteBuf in) {
    int end = in.writerIndex();
    for (int i = in.readerIndex(); i < end - 1; i++) {
      if (in.getByte(i) != '\n') continue;
      byte next = in.getByte(i + 1);
      if (next == '\r' || next == '\n') return false; // the blank line: the head is over
      if (next == ' ' || next == '\t') return true;
    }
    return false;
  }
}
