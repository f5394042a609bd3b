package dev.baton.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a JSON-lines input, read as bytes with at most one line held in memory, and that
 * line at most {@code maxBytes} long: a longer line is reported by its number as soon as the limit
 * is passed, and the rest of it is not read (so {@code /dev/zero} or an endless pipe cannot fill the
 * heap). Lines end at {@code \n}; a {@code \r} before it is dropped, as is a UTF-8 byte order mark
 * at the start. Each line is decoded as strict UTF-8: invalid bytes are reported with the line
 * number and the byte offset in the line. Blank lines are skipped but counted. Not thread-safe.
 */
final class JsonLines implements AutoCloseable {
  /** A non-blank line and its number (1 = the first line of the input). */
  record Line(long number, String text) {}

  private final InputStream in;
  private final int maxBytes;
  private final String source;
  private final byte[] buf = new byte[64 * 1024];
  private int pos;
  private int lim;
  private boolean eof;
  private byte[] line = new byte[256];
  private long number;

  /**
   * Lines of {@code in}.
   *
   * @param in the input; closed by {@link #close()}
   * @param maxBytes the most bytes a line may hold (the payload limit)
   * @param source how to name the input in messages ("stdin", a path)
   */
  JsonLines(InputStream in, int maxBytes, String source) {
    this.in = in;
    this.maxBytes = maxBytes;
    this.source = source;
  }

  /** Lines read so far, blank ones included. */
  long number() {
    return number;
  }

  /**
   * Skips lines until the next {@link #next()} returns line {@code n} or a later one, reading them
   * without keeping them.
   */
  void skipTo(long n) throws IOException {
    while (number < n - 1) {
      int b;
      do {
        b = read();
      } while (b >= 0 && b != '\n');
      if (b < 0) {
        return;
      }
      number++;
    }
  }

  /**
   * The next non-blank line, or null at the end of the input.
   *
   * @throws CliException with {@link ExitCodes#USAGE} for a line over the limit or not UTF-8
   */
  Line next() throws IOException {
    while (true) {
      int len = readLine();
      if (len < 0) {
        return null;
      }
      number++;
      int start = 0;
      if (len > 0 && line[len - 1] == '\r') {
        len--;
      }
      if (number == 1 && len >= 3 && (line[0] & 0xff) == 0xef && (line[1] & 0xff) == 0xbb && (line[2] & 0xff) == 0xbf) {
        start = 3; // byte order mark
      }
      if (len - start > maxBytes) {
        throw new CliException(ExitCodes.USAGE, "line " + number + " of " + source + " is over the payload limit of "
            + maxBytes + " bytes");
      }
      String text = decode(start, len);
      if (!text.isBlank()) {
        return new Line(number, text);
      }
    }
  }

  /** Reads up to the next newline into {@link #line}; its length, -1 at the end, or stops past the limit. */
  private int readLine() throws IOException {
    int len = 0;
    // room for the limit, a \r and a byte order mark; one byte more proves the line is too long
    int cap = maxBytes + 4 + 1;
    while (true) {
      int b = read();
      if (b < 0) {
        return len == 0 && eof ? -1 : len;
      }
      if (b == '\n') {
        return len;
      }
      if (len == line.length) {
        line = java.util.Arrays.copyOf(line, (int) Math.min(cap, 2L * line.length));
      }
      line[len++] = (byte) b;
      if (len == cap) {
        return len; // over the limit: the caller reports it; the rest stays unread
      }
    }
  }

  private String decode(int start, int end) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer bytes = ByteBuffer.wrap(line, start, end - start);
    CharBuffer chars = CharBuffer.allocate(end - start);
    CoderResult r = decoder.decode(bytes, chars, true);
    if (!r.isError()) {
      r = decoder.flush(chars);
    }
    if (r.isError()) {
      throw new CliException(ExitCodes.USAGE, "line " + number + " of " + source + " is not UTF-8 text (invalid byte at "
          + "offset " + (bytes.position() - start) + " of the line)");
    }
    return chars.flip().toString();
  }

  private int read() throws IOException {
    if (pos == lim) {
      if (eof) {
        return -1;
      }
      int n = in.read(buf, 0, buf.length);
      if (n <= 0) {
        // read() blocks until at least one byte or the end; 0 only for a zero-length request
        eof = true;
        return -1;
      }
      pos = 0;
      lim = n;
    }
    return buf[pos++] & 0xff;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
