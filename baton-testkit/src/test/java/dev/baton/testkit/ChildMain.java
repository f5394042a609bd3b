package dev.baton.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The child of {@link WorkerJvmIT}. Prints {@code ARGS <args>}, {@code ENV <$CHILD_ENV>} and {@code
 * PROP <-Dchild.prop>} on stdout and a line on stderr; with the argument {@code tick} prints {@code
 * TICK <n>} every 20 ms. Then answers stdin: {@code ECHO <text>} prints the text, {@code EXIT <code>}
 * exits with it; the end of stdin exits 0. A shutdown hook prints {@code BYE}.
 */
public final class ChildMain {
  private ChildMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("BYE")));
    System.out.println("ARGS " + String.join(" ", args));
    System.out.println("ENV " + System.getenv("CHILD_ENV"));
    System.out.println("PROP " + System.getProperty("child.prop"));
    System.err.println("a line on stderr");
    if (args.length > 0 && args[0].equals("tick")) {
      Thread.ofPlatform().daemon().start(() -> {
        for (long n = 0; ; n++) {
          System.out.println("TICK " + n);
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("ECHO ")) {
        System.out.println(line.substring(5));
      } else if (line.startsWith("EXIT ")) {
        System.exit(Integer.parseInt(line.substring(5)));
      }
    }
  }
}
