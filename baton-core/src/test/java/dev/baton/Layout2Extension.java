package dev.baton;

import dev.baton.internal.broker.Layout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class on layout 2 (docs/hot-path-v2.md): sets the transitional property {@code
 * baton.layout=2} before the class's clients and workers are built and puts back what was there
 * after it. Register it before the {@code RedisExtension}, so the clients that extension builds
 * already see it.
 */
final class Layout2Extension implements BeforeAllCallback, AfterAllCallback {
  private String before;

  @Override
  public void beforeAll(ExtensionContext context) {
    before = System.getProperty(Layout.PROPERTY);
    System.setProperty(Layout.PROPERTY, "2");
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (before == null) {
      System.clearProperty(Layout.PROPERTY);
    } else {
      System.setProperty(Layout.PROPERTY, before);
    }
  }
}
