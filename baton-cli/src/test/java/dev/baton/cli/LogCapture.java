package dev.baton.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** Collects what the named loggers log in this JVM, as "LEVEL message" lines, until closed. */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final List<Logger> loggers;

  LogCapture(String... loggerNames) {
    this.loggers = java.util.Arrays.stream(loggerNames).map(n -> (Logger) LoggerFactory.getLogger(n)).toList();
    setName("test-capture");
    start();
    loggers.forEach(l -> l.addAppender(this));
  }

  @Override
  protected void append(ILoggingEvent event) {
    lines.add(event.getLevel() + " " + event.getFormattedMessage());
  }

  /** The lines logged so far that contain {@code text}. */
  List<String> containing(String text) {
    return lines.stream().filter(l -> l.contains(text)).toList();
  }

  @Override
  public void close() {
    loggers.forEach(l -> l.detachAppender(this));
    stop();
  }
}
