package dev.baton.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: left-aligned text, right-aligned numbers, two spaces between columns. Every
 * cell goes through {@link Terminal#inert}, so a cell's text cannot move the cursor or start a row.
 * An empty cell (null) prints as {@code -} and leaves a numeric column numeric.
 */
final class Table {
  private final String[] header;
  private final List<Object[]> rows = new ArrayList<>();

  Table(String... header) {
    this.header = header;
  }

  void row(Object... cells) {
    if (cells.length != header.length) {
      throw new IllegalArgumentException("expected " + header.length + " cells, got " + cells.length);
    }
    rows.add(cells);
  }

  void print(PrintWriter out) {
    int[] width = new int[header.length];
    boolean[] numeric = new boolean[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
      numeric[i] = !rows.isEmpty();
    }
    for (Object[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], text(r[i]).length());
        numeric[i] &= r[i] == null || r[i] instanceof Number;
      }
    }
    line(out, header, width, numeric);
    for (Object[] r : rows) {
      line(out, r, width, numeric);
    }
    out.flush();
  }

  private static void line(PrintWriter out, Object[] cells, int[] width, boolean[] numeric) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      String s = text(cells[i]);
      boolean last = i == cells.length - 1;
      if (numeric[i]) {
        sb.append(" ".repeat(width[i] - s.length())).append(s);
      } else {
        sb.append(s);
        if (!last) {
          sb.append(" ".repeat(width[i] - s.length()));
        }
      }
      if (!last) {
        sb.append("  ");
      }
    }
    out.println(sb.toString().stripTrailing());
  }

  private static String text(Object o) {
    return o == null ? "-" : Terminal.inert(o.toString());
  }
}
