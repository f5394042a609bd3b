--[[
audit: dead-letter tasks whose stream entry was deleted outside Baton.

Baton deletes an entry only in the script that moves its task on (complete,
fail, cancel, recover, release, start's skips). A task still 'queued' or
'running' whose entry is gone from the stream and from the pending list lost
it to something else: a raw XTRIM/XDEL, a MAXLEN set by another client, or an
evicting Redis. Nothing would ever run it again, so it is dead-lettered with
the reason instead of vanishing. An entry still pending is left to the
recoverer, which records it as a tombstone; the task is audited after that.

KEYS[1]   stream  P:{Q}:stream   STREAM
KEYS[2]   dead    P:{Q}:dead     ZSET
KEYS[3]   stats   P:{Q}:stats    HASH
KEYS[3+i] task    P:{Q}:task:<id_i>  HASH (any key the caller found; non-tasks are skipped)

ARGV[1]   consumer group
ARGV[2]   channel for terminal events

Returns the number of tasks dead-lettered.
]]
local stream, dead, stats = KEYS[1], KEYS[2], KEYS[3]
local group, channel = ARGV[1], ARGV[2]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lost = 0

for i = 4, #KEYS do
  local taskKey = KEYS[i]
  if redis.call('TYPE', taskKey).ok == 'hash' then
    local f = redis.call('HMGET', taskKey, 'st', 'eid', 'id')
    local st, eid, id = f[1], f[2], f[3]
    if (st == 'queued' or st == 'running') and eid and id then
      local gone = #redis.call('XRANGE', stream, eid, eid) == 0
      if gone and #redis.call('XPENDING', stream, group, eid, eid, 1) == 0 then
        redis.call('HSET', taskKey, 'st', 'dead', 'ft', now,
          'why', 'stream entry ' .. eid .. ' deleted outside Baton while the task was ' .. st .. ' (trimmed?)')
        redis.call('HDEL', taskKey, 'own', 'eid')
        redis.call('ZADD', dead, now, id)
        redis.call('HINCRBY', stats, 'dead', 1)
        redis.call('PUBLISH', channel, id)
        lost = lost + 1
      end
    end
  end
end
return lost
