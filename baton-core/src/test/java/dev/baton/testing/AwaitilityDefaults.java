package dev.baton.testing;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Awaitility's defaults for Baton's tests: look at once, then every 20 ms. Awaitility's own defaults
 * wait 100 ms before the first look and between looks, so every {@code await()} cost at least 100 ms
 * even when its condition already held. Registered for every test class of this module through
 * JUnit's extension auto-detection (enabled in the module's surefire and failsafe configuration);
 * a test that wants another interval says so in its own {@code await()}.
 */
public final class AwaitilityDefaults implements BeforeAllCallback {
  static final Duration POLL_INTERVAL = Duration.ofMillis(20);

  @Override
  public void beforeAll(ExtensionContext context) {
    Awaitility.setDefaultPollDelay(Duration.ZERO);
    Awaitility.setDefaultPollInterval(POLL_INTERVAL);
  }
}
