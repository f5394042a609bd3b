package dev.baton.chaos;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Appends history events to one per-process file. Each event is one {@code write(2)} of a whole line
 * on a file opened for append, so a {@code kill -9} loses no line already written (the page cache
 * survives the process) and can at worst tear the line being written, which the reader skips.
 */
public final class HistoryWriter implements AutoCloseable {
  private final FileOutputStream out;
  private final ReentrantLock lock = new ReentrantLock();

  public HistoryWriter(Path file) {
    try {
      this.out = new FileOutputStream(file.toFile(), true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void append(HistoryEvent e) {
    byte[] line = e.toLine().getBytes(StandardCharsets.UTF_8);
    lock.lock();
    try {
      out.write(line);
      out.flush();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
