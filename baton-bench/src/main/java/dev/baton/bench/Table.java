package dev.baton.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain text table: the first column left-aligned, the others right-aligned. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  Table(String... header) {
    this.columns = header.length;
    rows.add(header);
  }

  Table row(Object... cells) {
    String[] r = new String[columns];
    Arrays.fill(r, "");
    for (int i = 0; i < Math.min(cells.length, columns); i++) {
      r[i] = cells[i] == null ? "-" : cells[i].toString();
    }
    rows.add(r);
    return this;
  }

  void print(PrintWriter out, String indent) {
    int[] width = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < columns; i++) {
        if (i > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(width[i] - r[i].length());
        line.append(i == 0 ? r[i] + pad : pad + r[i]);
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
