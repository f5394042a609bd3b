package dev.baton.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A thread-per-connection TCP proxy on a fixed loopback port in front of Redis, one per worker
 * slot, so the runner can cut a worker off without touching the others:
 *
 * <ul>
 *   <li>{@link #cutAll()} resets every open connection (RST), as a network failure would;
 *   <li>{@link #freeze()} stops forwarding in both directions while keeping connections open (bytes
 *       wait in socket buffers; new connections wait before reaching Redis), as a partition does;
 *       {@link #thaw()} resumes, delivering everything that waited.
 * </ul>
 *
 * <p>The port stays the same across worker restarts and Redis restarts; while Redis is down, a new
 * connection is accepted and reset at once.
 */
final class ChaosProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition thawed = lock.newCondition();
  private volatile boolean frozen;
  private volatile boolean closed;

  ChaosProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("chaos-proxy-accept-" + port()).start(this::acceptLoop);
  }

  int port() {
    return listener.getLocalPort();
  }

  String uri() {
    return "redis://127.0.0.1:" + port();
  }

  int connectionsAccepted() {
    return connections.get();
  }

  /** Resets every open connection at once. */
  void cutAll() {
    for (Socket s : sockets) {
      reset(s);
    }
  }

  /** Stops forwarding bytes, in both directions, on every connection, new ones included. */
  void freeze() {
    frozen = true;
  }

  void thaw() {
    lock.lock();
    try {
      frozen = false;
      thawed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  boolean isFrozen() {
    return frozen;
  }

  private void awaitThawed() throws InterruptedException {
    if (!frozen) {
      return;
    }
    lock.lock();
    try {
      while (frozen && !closed) {
        thawed.await();
      }
    } finally {
      lock.unlock();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      connections.incrementAndGet();
      Thread.ofVirtual().start(() -> connect(client));
    }
  }

  private void connect(Socket client) {
    sockets.add(client);
    Socket server = new Socket();
    try {
      awaitThawed();
      server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
      client.setTcpNoDelay(true);
      server.setTcpNoDelay(true);
      sockets.add(server);
    } catch (IOException | InterruptedException e) {
      reset(client);
      reset(server);
      return;
    }
    Thread.ofVirtual().start(() -> pump(client, server));
    pump(server, client);
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[32 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        awaitThawed();
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // cut, or the other side went away: reset both ends below
    } finally {
      reset(from);
      reset(to);
    }
  }

  private void reset(Socket s) {
    sockets.remove(s);
    try {
      if (s.isConnected() && !s.isClosed()) {
        s.setSoLinger(true, 0);
      }
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    thaw();
    try {
      listener.close();
    } catch (IOException e) {
      // closing
    }
    cutAll();
  }
}
