package dev.baton.bench;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The progress line on stderr. On a terminal one line is redrawn four times a second with the
 * current step and its count; otherwise each step prints one line, so logs stay readable.
 */
final class Progress implements AutoCloseable {
  private final PrintWriter err;
  private final boolean live;
  private final long startNanos = System.nanoTime();
  private final Thread ticker;
  private volatile String step = "";
  private volatile AtomicLong done = new AtomicLong();
  private volatile long total;
  private volatile boolean closed;
  private int drawnWidth;

  Progress(PrintWriter err, boolean live) {
    this.err = err;
    this.live = live;
    this.ticker = live ? Thread.ofPlatform().daemon(true).name("baton-bench-progress").start(this::tick) : null;
  }

  /** True when stdin and stdout are a terminal (so a redrawn line shows as one line). */
  static boolean onTerminal() {
    Console c = System.console();
    if (c == null) {
      return false;
    }
    try { // Console.isTerminal() exists from JDK 22 on; before it, a console is a terminal
      return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  /** Starts a step of {@code total} units (0 if not counted); returns the counter to advance. */
  AtomicLong step(String text, long total) {
    AtomicLong counter = new AtomicLong();
    this.step = text;
    this.total = total;
    this.done = counter;
    if (!live) {
      line(String.format(Locale.ROOT, "[%6.1fs] %s", seconds(), text));
    }
    return counter;
  }

  /** A line that stays (a finished case, a warning). */
  void note(String text) {
    line(String.format(Locale.ROOT, "[%6.1fs] %s", seconds(), text));
  }

  private synchronized void line(String text) {
    if (live) {
      clear();
    }
    err.println(text);
    err.flush();
  }

  private void tick() {
    while (!closed) {
      draw();
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void draw() {
    if (closed) {
      return;
    }
    long n = done.get();
    String count = total > 0 ? String.format(Locale.ROOT, "  %,d/%,d", n, total) : "";
    String text = String.format(Locale.ROOT, "[%6.1fs] %s%s", seconds(), step, count);
    err.print("\r" + text + " ".repeat(Math.max(0, drawnWidth - text.length())));
    err.flush();
    drawnWidth = text.length();
  }

  private void clear() {
    if (drawnWidth > 0) {
      err.print("\r" + " ".repeat(drawnWidth) + "\r");
      drawnWidth = 0;
    }
  }

  private double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (ticker != null) {
      ticker.interrupt();
      clear();
      err.flush();
    }
  }
}
