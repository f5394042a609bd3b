package dev.baton.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One measured case of a scenario: a label and its metrics, in report order. Metric values are
 * numbers, strings, or maps of those (e.g. percentiles), so the JSON needs no class names.
 */
record Row(String scenario, String label, Map<String, Object> metrics) {
  Row(String scenario, String label) {
    this(scenario, label, new LinkedHashMap<>());
  }

  Row put(String key, Object value) {
    metrics.put(key, value);
    return this;
  }

  double number(String key) {
    return metrics.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
  }
}
