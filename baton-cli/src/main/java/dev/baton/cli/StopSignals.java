package dev.baton.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns SIGTERM and SIGINT into a graceful stop of a long-running command.
 *
 * <p>The signals are handled directly (with {@code sun.misc.Signal} from {@code jdk.unsupported},
 * reached reflectively so the build has no internal-API warnings), so the JVM does not start its
 * shutdown sequence: the command drains, returns, and the process exits with the command's code
 * (0) instead of 143. A JVM shutdown hook covers the other ways the JVM may stop (SIGHUP, {@code
 * System.exit} elsewhere, or {@code -Xrs}, where the signal handlers cannot be installed): it
 * requests the same stop and holds the JVM until the command finished or {@code hookWait} passed.
 * A second SIGTERM/SIGINT while draining kills the child processes and exits at once.
 */
final class StopSignals implements AutoCloseable {
  private static final String[] SIGNALS = {"TERM", "INT"};

  private final Map<Object, Object> previous = new LinkedHashMap<>();
  private final Thread hook;

  private StopSignals(Runnable onStop, CountDownLatch done, Duration hookWait) {
    AtomicInteger received = new AtomicInteger();
    for (String name : SIGNALS) {
      try {
        Object signal = Api.INSTANCE.signal(name);
        previous.put(signal, Api.INSTANCE.handle(signal, number -> {
          if (received.incrementAndGet() == 1) {
            onStop.run();
          } else {
            System.err.println("baton: second SIG" + name + ": stopping now; running tasks stay pending");
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
            Runtime.getRuntime().halt(128 + number);
          }
        }));
      } catch (RuntimeException | LinkageError e) {
        // no sun.misc.Signal, or the signal is reserved (-Xrs): the shutdown hook covers it
      }
    }
    this.hook = new Thread(() -> {
      onStop.run();
      try {
        done.await(hookWait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "baton-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Installs the handlers; {@link #close()} restores the previous ones. */
  static StopSignals install(Runnable onStop, CountDownLatch done, Duration hookWait) {
    return new StopSignals(onStop, done, hookWait);
  }

  @Override
  public void close() {
    previous.forEach((signal, handler) -> {
      try {
        Api.INSTANCE.restore(signal, handler);
      } catch (RuntimeException e) {
        // best effort
      }
    });
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down and the hook is running: it waits for the command to finish
    }
  }

  /** {@code sun.misc.Signal} and {@code SignalHandler}, looked up once. */
  private static final class Api {
    static final Api INSTANCE = new Api();

    private final Class<?> handlerType;
    private final Constructor<?> newSignal;
    private final Method handle;
    private final Method number;

    private Api() {
      try {
        Class<?> signalType = Class.forName("sun.misc.Signal");
        handlerType = Class.forName("sun.misc.SignalHandler");
        newSignal = signalType.getConstructor(String.class);
        handle = signalType.getMethod("handle", signalType, handlerType);
        number = signalType.getMethod("getNumber");
      } catch (ReflectiveOperationException e) {
        throw new UnsupportedOperationException("sun.misc.Signal is not available", e);
      }
    }

    Object signal(String name) {
      try {
        return newSignal.newInstance(name);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw rethrow(e.getCause());
      } catch (ReflectiveOperationException e) {
        throw new UnsupportedOperationException(e);
      }
    }

    /** Installs {@code onSignal} (given the signal number); returns the previous handler. */
    Object handle(Object signal, java.util.function.IntConsumer onSignal) {
      Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(), new Class<?>[] {handlerType},
          (proxy, method, args) -> switch (method.getName()) {
            case "handle" -> {
              onSignal.accept((Integer) number.invoke(args[0]));
              yield null;
            }
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> "baton stop handler";
          });
      return restore(signal, handler);
    }

    Object restore(Object signal, Object handler) {
      try {
        return handle.invoke(null, signal, handler);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw rethrow(e.getCause());
      } catch (IllegalAccessException e) {
        throw new UnsupportedOperationException(e);
      }
    }

    private static RuntimeException rethrow(Throwable t) {
      if (t instanceof RuntimeException re) {
        return re;
      }
      if (t instanceof Error err) {
        throw err;
      }
      return new UnsupportedOperationException(t);
    }
  }
}
