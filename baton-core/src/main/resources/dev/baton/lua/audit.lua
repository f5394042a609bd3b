--[[
audit: find task records that no script will ever move on again, and repair them or
dead-letter them with the reason.

Baton deletes an entry only in the script that moves its task on (complete,
fail, cancel, recover, release, start's skips). A task still 'queued' or
'running' whose entry is gone from the stream and from the pending list lost
it to something else: a raw XTRIM/XDEL, a MAXLEN set by another client, or an
evicting Redis. Nothing would ever run it again, so it is dead-lettered with
the reason instead of vanishing. An entry still pending is left to the
recoverer, which records it as a tombstone; the task is audited after that.

Each state also has its set, which every script changes together with the state. A record
missing from its set (a raw ZREM, an evicted or deleted set, a script that failed
half-applied before this rule) is put back, with the time it belongs there with:
  'scheduled', 'retrying'  not in delayed: ZADD delayed at sa (its due time; now when sa is
                           not a number), so the promoter moves it on
  'parked'                 not in parked: ZADD parked at sa (its reconsider time; now when
                           not a number), so the unparker reconsiders it
  'dead'                   not in dead: ZADD dead at ft (when it died; now when not a number),
                           so it can be listed, replayed and purged again
A repair counts nothing in stats (the task was counted when it entered that state) and
publishes nothing (no task reached a terminal state).

KEYS[1]   stream   P:{Q}:stream    STREAM
KEYS[2]   dead     P:{Q}:dead      ZSET
KEYS[3]   stats    P:{Q}:stats     HASH
KEYS[4]   delayed  P:{Q}:delayed   ZSET
KEYS[5]   parked   P:{Q}:parked    ZSET
KEYS[5+i] task     P:{Q}:task:<id_i>  HASH (any key the caller found; non-tasks are skipped)

ARGV[1]   consumer group
ARGV[2]   channel for terminal events

Returns {deadLettered, repaired, deadIds, repairedIds[, unnotified]}: the counts, then the
ids; a fifth element, the Redis error, only when the PUBLISH of a dead-lettered id was refused.

No half-applied call (a script that fails after a write is not rolled back): every record,
entry and set membership is read, and stream, dead, stats, delayed and parked are
type-checked (once per call), before the first write. A key of the wrong type fails the call
with 'WRONGTYPE audit.lua: key <key> holds a <type>, not a <type>; nothing was written'; a
task key of another type than hash is not a record and is skipped. The PUBLISH of the
dead-lettered ids comes after every write, through redis.pcall: an ACL that denies the
channel leaves the call whole, and the refusal is returned as the fifth element.
]]
local stream, dead, stats, delayed, parked = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, channel = ARGV[1], ARGV[2]

local function wrongType(key, want)
  error({err = 'WRONGTYPE audit.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

expect(stream, 'stream'); expect(dead, 'zset'); expect(stats, 'hash'); expect(delayed, 'zset'); expect(parked, 'zset')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- the set each state belongs in, and the record's field that holds its score there
local HOME = {scheduled = {delayed, 'sa'}, retrying = {delayed, 'sa'}, parked = {parked, 'sa'}, dead = {dead, 'ft'}}

-- reads: every record, before anything is written
local plan, seen = {}, {}
for i = 6, #KEYS do
  local taskKey = KEYS[i]
  if not seen[taskKey] and redis.call('TYPE', taskKey).ok == 'hash' then
    seen[taskKey] = true
    local f = redis.call('HMGET', taskKey, 'st', 'eid', 'id', 'sa', 'ft')
    local st, eid, id = f[1], f[2], f[3]
    if (st == 'queued' or st == 'running') and eid and id then
      local gone = #redis.call('XRANGE', stream, eid, eid) == 0
      if gone and #redis.call('XPENDING', stream, group, eid, eid, 1) == 0 then
        plan[i] = {'dead', id, 'stream entry ' .. eid .. ' deleted outside Baton while the task was ' .. st .. ' (trimmed?)'}
      end
    elseif st and HOME[st] and id then
      local home = HOME[st]
      if not redis.call('ZSCORE', home[1], id) then
        local score = f[5]
        if home[2] == 'sa' then score = f[4] end
        local at = tonumber(score) or now
        plan[i] = {'home', id, home[1], at}
      end
    end
  end
end

-- writes: none of these can fail on a key's type any more
local deadIds, repairedIds = {}, {}
for i = 6, #KEYS do
  local p = plan[i]
  if p then
    local taskKey, id = KEYS[i], p[2]
    if p[1] == 'dead' then
      redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'why', p[3])
      redis.call('HDEL', taskKey, 'own', 'eid')
      redis.call('ZADD', dead, now, id)
      count(stats, 'dead', 1)
      deadIds[#deadIds + 1] = id
    else
      redis.call('ZADD', p[3], p[4], id)
      repairedIds[#repairedIds + 1] = id
    end
  end
end
local out = {#deadIds, #repairedIds, deadIds, repairedIds}
for _, id in ipairs(deadIds) do
  -- last, and through pcall: a refused PUBLISH leaves the call whole and is reported
  local r = redis.pcall('PUBLISH', channel, id)
  if type(r) == 'table' and r.err then out[5] = r.err; break end
end
return reply(out)
