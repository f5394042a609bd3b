package dev.baton.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The raw cycle through Jedis, the fastest pipelined JVM client measured here: blocking I/O on one
 * socket per side, no event loop, no futures. The producer sends {@value #WINDOW} XADDs in one
 * pipeline and reads their replies, then the next {@value #WINDOW}; the consumer sends the
 * acknowledgement of batch k and the read of batch k+1 in one pipeline, one round trip per batch.
 * Rows {@code raw-jedis} and {@code raw-jedis-xdel}.
 */
final class JedisRawClient implements RawClient {
  private static final int BLOCK_MILLIS = 1_000;
  private final Jedis producer;
  private final Jedis consumer;

  JedisRawClient(String redisUri) {
    this.producer = new Jedis(URI.create(redisUri));
    this.consumer = new Jedis(URI.create(redisUri));
  }

  @Override
  public void produce(String stream, int n, String payload) {
    Pipeline p = producer.pipelined();
    XAddParams auto = XAddParams.xAddParams();
    List<Response<StreamEntryID>> replies = new ArrayList<>(WINDOW);
    for (int i = 0; i < n; ) {
      for (int end = Math.min(n, i + WINDOW); i < end; i++) {
        replies.add(p.xadd(stream, auto, Map.of("t", "raw-" + i, "p", payload)));
      }
      p.sync();
      replies.forEach(Response::get); // throws on an error reply
      replies.clear();
    }
  }

  @Override
  public void consume(String stream, int n, boolean xdel, AtomicLong progress, Guard guard) {
    Pipeline p = consumer.pipelined();
    XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(COUNT).block(BLOCK_MILLIS);
    Map<String, StreamEntryID> from = Map.of(stream, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY);
    StreamEntryID[] unacked = null;
    long got = 0;
    while (got < n) {
      guard.check(got);
      List<Response<Long>> acks = ack(p, stream, unacked, xdel);
      Response<List<Map.Entry<String, List<StreamEntry>>>> read = p.xreadGroup(GROUP, CONSUMER, params, from);
      p.sync(); // one round trip: the last batch's acknowledgement and this read
      acks.forEach(Response::get);
      unacked = null;
      List<Map.Entry<String, List<StreamEntry>>> streams = read.get();
      if (streams == null || streams.isEmpty() || streams.get(0).getValue().isEmpty()) {
        continue;
      }
      List<StreamEntry> batch = streams.get(0).getValue();
      unacked = batch.stream().map(StreamEntry::getID).toArray(StreamEntryID[]::new);
      got += batch.size();
      progress.set(got);
    }
    List<Response<Long>> acks = ack(p, stream, unacked, xdel);
    p.sync();
    acks.forEach(Response::get);
  }

  private static List<Response<Long>> ack(Pipeline p, String stream, StreamEntryID[] ids, boolean xdel) {
    if (ids == null) {
      return List.of();
    }
    Response<Long> ack = p.xack(stream, GROUP, ids);
    return xdel ? List.of(ack, p.xdel(stream, ids)) : List.of(ack);
  }

  @Override
  public void close() {
    producer.close();
    consumer.close();
  }
}
