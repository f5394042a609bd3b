package dev.baton.internal.limits;

import dev.baton.BatonException;
import dev.baton.internal.scripts.LimitScripts;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a limit's name and settings in the index of limits, once, for readers that do not hold
 * its config (the inspector, the CLI). Best effort: the index only serves readers, so an outage
 * here never fails the limiter's caller; it is tried again on the next call. Thread-safe.
 */
final class LimitRegistration {
  private static final Logger log = LoggerFactory.getLogger(LimitRegistration.class);

  private final LimitScripts scripts;
  private final String name;
  private final Map<String, String> settings;
  private volatile boolean registered;

  LimitRegistration(LimitScripts scripts, String name, Map<String, String> settings) {
    this.scripts = scripts;
    this.name = name;
    this.settings = Map.copyOf(settings);
  }

  void ensure() {
    if (registered) {
      return;
    }
    try {
      scripts.register(name, settings);
      registered = true;
    } catch (BatonException e) {
      log.debug("could not register limit {} yet: {}", name, e.getMessage());
    }
  }
}
