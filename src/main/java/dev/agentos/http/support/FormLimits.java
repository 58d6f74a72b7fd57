package dev.agentos.http.support;

import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;

/**
 * The limits of a form body ({@code application/x-www-form-urlencoded} or {@code multipart/form-data}) and the
 * answer when a form breaks one. Netty's decoder reports each with its own exception, which the body step turns
 * into a bare 400; these are the {@code {"detail"}} texts instead, in Starlette's words where agno (FastAPI on
 * Starlette) has one. See docs/configuration.md, {@code http.max_body_bytes}.
 */
public final class FormLimits {
  /** Starlette's default (agno's); Vert.x's own is 256. */
  public static final int MAX_FIELDS = 1000;

  private FormLimits() {}

  /** The answer for a form the decoder refused, or null when the failure is not the form decoder's. */
  static DetailedFailure refusal(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof HttpPostRequestDecoder.TooManyFormFieldsException) {
        return new DetailedFailure(400, "Too many fields. Maximum number of fields is " + MAX_FIELDS + ".");
      }
      if (t instanceof HttpPostRequestDecoder.TooLongFormFieldException) {
        // one field may be as large as the whole body (http.max_body_bytes); a field name or a part's headers
        // past the decoder's buffer are what remains
        return new DetailedFailure(413, "Form field too large: a field's value may be as large as the body"
            + " (http.max_body_bytes), its name and part headers at most " + MAX_BUFFERED_BYTES + " bytes");
      }
      if (t instanceof HttpPostRequestDecoder.ErrorDataDecoderException || thrownByDecoder(t)) {
        // bad percent-encoding, an empty field name, a broken part: the decoder's own words are not for clients
        return new DetailedFailure(400, "There was an error parsing the body: malformed form data");
      }
    }
    return null;
  }

  /** The decoder also throws plain IllegalArgumentExceptions (an empty field name), known by where they come from. */
  private static boolean thrownByDecoder(Throwable t) {
    for (StackTraceElement frame : t.getStackTrace()) {
      if (frame.getClassName().startsWith(DECODER_PACKAGE)) return true;
    }
    return false;
  }

  private static final String DECODER_PACKAGE = HttpPostRequestDecoder.class.getPackageName() + ".";

  /** What the multipart decoder may buffer of a part's name and headers (Vert.x's default is 1 KB). */
  public static final int MAX_BUFFERED_BYTES = 16 * 1024;
}
