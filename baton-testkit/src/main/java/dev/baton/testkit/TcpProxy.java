package dev.baton.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on a free loopback port in front of a loopback server (Redis), for network faults:
 *
 * <ul>
 *   <li>{@link #cutAll()} resets every open connection (RST), as a network failure would; with
 *       {@link #refuseNew()} new connections are reset at once too, until {@link #acceptNew()};
 *       {@link #closeAll()} closes them in order (FIN) instead;
 *   <li>{@link #freeze()} stops forwarding in both directions while keeping connections open (bytes
 *       wait in socket buffers; a new connection waits before it reaches the server), as a
 *       partition does; {@link #thaw()} delivers everything that waited, in order;
 *   <li>{@link #swallowNextReplyAndCut()} and {@link #swallowNextReplyContainingAndCut} drop a
 *       reply and close every connection, so the client believes a request was lost that the
 *       server executed, and replays it; {@link #delayNextReplyContaining} holds one reply back for
 *       a while.
 * </ul>
 *
 * <p>The port stays the same for the proxy's life, across restarts of the server on its port;
 * while the server is down, a new connection is accepted and reset at once. One virtual thread per
 * direction of each connection. Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicBoolean swallowNextReply = new AtomicBoolean();
  private final AtomicReference<byte[]> swallowMarker = new AtomicReference<>();
  private final AtomicReference<byte[]> delayMarker = new AtomicReference<>();
  private volatile long delayMillis;
  private final ReentrantLock gate = new ReentrantLock();
  private final Condition thawed = gate.newCondition();
  private volatile boolean frozen;
  private volatile boolean refusing;
  private volatile boolean closed;

  /** Starts proxying to {@code 127.0.0.1:targetPort} (or the loopback address). */
  public TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("tcp-proxy-accept-" + port()).start(this::acceptLoop);
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port();
  }

  /** Connections accepted so far, refused ones included. */
  public int connections() {
    return connections.get();
  }

  /**
   * Resets every open connection at once (RST): a client sees an error, and Lettuce fails what it had
   * in flight. New connections are accepted unless {@link #refuseNew()}.
   */
  public void cutAll() {
    List<Socket> open = List.copyOf(sockets);
    for (Socket s : open) {
      try {
        s.setSoLinger(true, 0); // first on every socket: a pump that closes the other end resets it too
      } catch (IOException e) {
        // already closed
      }
    }
    open.forEach(TcpProxy::closeQuietly);
    sockets.removeAll(open);
  }

  /**
   * Closes every open connection in order (FIN): a client sees the connection end, and Lettuce
   * replays what it had in flight once it reconnects. New connections are accepted unless {@link
   * #refuseNew()}.
   */
  public void closeAll() {
    List<Socket> open = List.copyOf(sockets);
    open.forEach(TcpProxy::closeQuietly);
    sockets.removeAll(open);
  }

  /** From now on every new connection is accepted and reset at once; open ones are left alone. */
  public void refuseNew() {
    refusing = true;
  }

  /** Ends {@link #refuseNew()}. */
  public void acceptNew() {
    refusing = false;
  }

  /**
   * Partitions client and server without closing anything: bytes read from either side are held,
   * not forwarded (and, once the socket buffers fill, not read), until {@link #thaw()}. Neither side
   * sees an error, only silence. New connections wait too, before they reach the server.
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

  /** The next bytes the server sends are dropped, and every connection is then closed. */
  public void swallowNextReplyAndCut() {
    swallowNextReply.set(true);
  }

  /**
   * The next bytes from the server that contain {@code marker} (e.g. a task id in a read reply) are
   * dropped, and every connection is then closed: the client never sees that reply.
   */
  public void swallowNextReplyContainingAndCut(String marker) {
    swallowMarker.set(marker.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The next bytes from the server that contain {@code marker} reach the client {@code delay} late
   * (and everything after them on that connection too): a reply held up in the network.
   */
  public void delayNextReplyContaining(String marker, Duration delay) {
    delayMillis = delay.toMillis();
    delayMarker.set(marker.getBytes(StandardCharsets.UTF_8));
  }

  private void awaitThaw() throws InterruptedException {
    if (!frozen) {
      return;
    }
    gate.lock();
    try {
      while (frozen && !closed) {
        thawed.await();
      }
    } finally {
      gate.unlock();
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
      if (refusing) {
        throw new IOException("refusing new connections");
      }
      awaitThaw();
      server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
      client.setTcpNoDelay(true);
      server.setTcpNoDelay(true);
      sockets.add(server);
    } catch (IOException | InterruptedException e) {
      reset(client);
      reset(server);
      return;
    }
    Thread.ofVirtual().start(() -> pump(client, server, false));
    pump(server, client, true);
  }

  private void pump(Socket from, Socket to, boolean fromServer) {
    byte[] buf = new byte[32 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        awaitThaw();
        if (fromServer && (swallowNextReply.compareAndSet(true, false) || takeMarker(swallowMarker, buf, n))) {
          closeAll();
          return;
        }
        if (fromServer && takeMarker(delayMarker, buf, n)) {
          Thread.sleep(delayMillis);
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // cut, or the other side went away: close both ends below
    } finally {
      // in order (FIN), or as a reset after cutAll() set SO_LINGER 0
      sockets.remove(from);
      sockets.remove(to);
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /** True, once, when the armed marker occurs in the first {@code n} bytes of {@code buf}. */
  private static boolean takeMarker(AtomicReference<byte[]> armed, byte[] buf, int n) {
    byte[] marker = armed.get();
    return marker != null && contains(buf, n, marker) && armed.compareAndSet(marker, null);
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

  private void reset(Socket s) {
    sockets.remove(s);
    try {
      if (s.isConnected() && !s.isClosed()) {
        s.setSoLinger(true, 0);
      }
    } catch (IOException e) {
      // already closed
    }
    closeQuietly(s);
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
