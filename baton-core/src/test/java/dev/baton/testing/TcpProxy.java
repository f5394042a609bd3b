package dev.baton.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on a free loopback port in front of a loopback server, for network fault tests: it
 * can cut every connection, or swallow the next reply from the server and then cut, which makes a
 * client believe its request was lost although the server executed it; or freeze, a partition
 * that keeps connections open but lets no byte through either way until it thaws.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean swallowNextReply = new AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicReference<byte[]> swallowMarker =
      new java.util.concurrent.atomic.AtomicReference<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicReference<byte[]> delayMarker =
      new java.util.concurrent.atomic.AtomicReference<>();
  private volatile long delayMillis;
  private final ReentrantLock gate = new ReentrantLock();
  private final Condition thawed = gate.newCondition();
  private volatile boolean frozen;
  private volatile boolean closed;

  public TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("tcp-proxy-accept").start(this::acceptLoop);
  }

  public int port() {
    return listener.getLocalPort();
  }

  public String uri() {
    return "redis://127.0.0.1:" + port();
  }

  /** Connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  /** The next bytes the server sends are dropped, and every connection is then cut. */
  public void swallowNextReplyAndCut() {
    swallowNextReply.set(true);
  }

  /**
   * The next bytes from the server that contain {@code marker} (e.g. a task id in a read reply) are
   * dropped, and every connection is then cut: the client never sees that reply.
   */
  public void swallowNextReplyContainingAndCut(String marker) {
    swallowMarker.set(marker.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * The next bytes from the server that contain {@code marker} reach the client {@code delay} late
   * (and everything after them on that connection too): a reply held up in the network.
   */
  public void delayNextReplyContaining(String marker, Duration delay) {
    delayMarker.set(marker.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    delayMillis = delay.toMillis();
  }

  /**
   * Partitions client and server without closing anything: from now on bytes read from either side
   * are held, not forwarded (and, once the socket buffers fill, not read), until {@link #thaw()}.
   * Connections stay open, so neither side sees an error, only silence. New connections are
   * accepted and frozen too.
   */
  public void freeze() {
    frozen = true;
  }

  /** Ends a {@link #freeze()}: the held bytes are forwarded, in order, and traffic flows again. */
  public void thaw() {
    gate.lock();
    try {
      frozen = false;
      thawed.signalAll();
    } finally {
      gate.unlock();
    }
  }

  public boolean isFrozen() {
    return frozen;
  }

  private void awaitThaw() throws IOException {
    if (!frozen) {
      return;
    }
    gate.lock();
    try {
      while (frozen && !closed) {
        thawed.await();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while frozen", e);
    } finally {
      gate.unlock();
    }
  }

  /** Cuts every open connection at once. */
  public void cutAll() {
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        connections.incrementAndGet();
        Thread.ofVirtual().start(() -> pump(client, server, false));
        Thread.ofVirtual().start(() -> pump(server, client, true));
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void pump(Socket from, Socket to, boolean fromServer) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        awaitThaw();
        if (fromServer && swallowNextReply.compareAndSet(true, false)) {
          cutAll();
          return;
        }
        byte[] marker = swallowMarker.get();
        if (fromServer && marker != null && contains(buf, n, marker) && swallowMarker.compareAndSet(marker, null)) {
          cutAll();
          return;
        }
        byte[] slow = delayMarker.get();
        if (fromServer && slow != null && contains(buf, n, slow) && delayMarker.compareAndSet(slow, null)) {
          try {
            Thread.sleep(delayMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while holding a reply", e);
          }
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // connection cut: close both ends below
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private static boolean contains(byte[] buf, int n, byte[] marker) {
    outer:
    for (int i = 0; i + marker.length <= n; i++) {
      for (int j = 0; j < marker.length; j++) {
        if (buf[i + j] != marker[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static void closeQuietly(Socket s) {
    try {
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
