--[[
recover: take over entries whose lease expired and make their tasks available
to any worker again. Safe with any number of recoverers at once: an entry is
handled only while it is still pending and still idle past the lease, and
handling it acknowledges it.

For each entry:
  - gone from the pending list, or renewed meanwhile: skipped;
  - deleted from the stream while pending (trimmed), no task id: acknowledged
    and recorded as a dead tombstone 'entry-<entryId>';
  - task record missing: acknowledged, dead tombstone under the task id;
  - record no longer holds this entry (finished, moved on): acknowledged;
  - a delivery that never reported an outcome: the task goes back to the
    stream under a new entry id (so the old holder's writes are fenced off),
    its unfinished attempt is not counted, and 'nol' (deliveries without an
    outcome) grows by one; when 'nol' reaches the limit the task is
    dead-lettered as a poison task: 'max deliveries exceeded'.
  - a suspect (its deliveries ended without an outcome twice or more) is not
    put straight back: it waits in the delayed set ('scheduled') for a spread
    of up to lease x (nol - 1). Tasks taken over together sit side by side in
    the stream and are fetched together again; if one of them kills its worker
    (a poison task), its neighbours would die with it every time and reach the
    limit too. Spreading suspects apart lets the innocent ones finish.

KEYS[1]   stream  P:{Q}:stream   STREAM
KEYS[2]   dead    P:{Q}:dead     ZSET
KEYS[3]   stats   P:{Q}:stats    HASH
KEYS[4]   delayed P:{Q}:delayed  ZSET  member id, score due time (ms)
KEYS[4+i] task    P:{Q}:task:<id_i>, or P:{Q}:task:entry-<entryId_i> when the id is ''

ARGV[1]      consumer group
ARGV[2]      lease, ms
ARGV[3]      max deliveries without an outcome (poison limit)
ARGV[4]      channel for terminal events
ARGV[5]      spread seed: a random fraction in [0, 1) from the caller
ARGV[5+2i-1] entry id i
ARGV[5+2i]   task id i ('' when unknown)

Returns {requeued, deadLettered, cleaned, requeuedIds, deadIds, unnotified?, skipped?}:
the counts, then the ids of the tasks put back (to the stream or, as suspects, the delayed
set) and of the tasks dead-lettered (tombstone ids for entries without a task); a sixth
element, the Redis error when the PUBLISH of the dead ids was refused (see below), else
false (nil), present when a seventh is; a seventh, the task keys that are not hashes.

No half-applied call (a script that fails after a write is not rolled back): every entry is
read and checked first (XPENDING, the record's TYPE and HMGET), and the keys written without
being read (stream, dead, stats, delayed) are type-checked once per call, all before the
first write. A queue key of the wrong type fails the whole call with
'WRONGTYPE recover.lua: key <key> holds a <type>, not a <type>; nothing was written', and
nothing is written. A task key that is not a hash (written outside Baton) is skipped: its
entry stays pending with its owner (its idle time is reset by XCLAIM ... JUSTID to the same
owner, which counts no delivery, so it comes back once per lease rather than in every
pass), the record is not touched, its key is returned in the seventh element (the gateway
logs it), and the other entries of the call are taken over as usual, so one bad key cannot
stop the recovery of a queue. The PUBLISH comes after every write and goes through redis.pcall: an
ACL that denies the channel cannot abort the call half-applied; the writes stand, and the
refusal is returned as the sixth element ("written, not notified"; waiters re-read the
records anyway).
]]
local stream, dead, stats, delayed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, lease, maxDeliveries, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local seed = tonumber(ARGV[5]) or 0

local function wrongType(key, want, got)
  error({err = 'WRONGTYPE recover.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a ' .. got
    .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want, got) end
end

-- reads and checks: nothing below writes until every entry has been looked at
expect(stream, 'stream'); expect(dead, 'zset'); expect(stats, 'hash'); expect(delayed, 'zset')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local plan, skipped = {}, {}
for i = 1, #KEYS - 4 do
  local taskKey = KEYS[4 + i]
  local eid, id = ARGV[5 + 2 * i - 1], ARGV[5 + 2 * i]
  local p = redis.call('XPENDING', stream, group, eid, eid, 1)
  if #p == 1 and tonumber(p[1][3]) >= lease then
    local got = redis.call('TYPE', taskKey).ok
    if id == '' then
      plan[i] = {'deleted', got == 'none'}
    elseif got ~= 'hash' and got ~= 'none' then
      skipped[#skipped + 1] = taskKey
      plan[i] = {'skip', p[1][2]}
    else
      plan[i] = {'task', redis.call('HMGET', taskKey, 'st', 'eid', 'att', 'nol')}
    end
  end
end

-- writes: none of these can fail on a key's type any more
local requeued, deadLettered, cleaned = 0, 0, 0
local requeuedIds, deadIds, published = {}, {}, {}

local function tombstone(taskKey, id, eid, why)
  redis.call('HSET', taskKey, 'id', id, 'q', '', 'st', 'dead', 'att', 0, 'dlv', 1, 'max', 0,
    'ct', now, 'ft', now, 'eid', eid, 'why', why)
  redis.call('ZADD', dead, now, id)
  count(stats, 'dead', 1)
end

for i = 1, #KEYS - 4 do
  local taskKey, what = KEYS[4 + i], plan[i]
  local eid, id = ARGV[5 + 2 * i - 1], ARGV[5 + 2 * i]
  if what and what[1] == 'skip' then
    redis.call('XCLAIM', stream, group, what[2], 0, eid, 'JUSTID')
  elseif what then
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
    if what[1] == 'deleted' then
      if what[2] then
        tombstone(taskKey, 'entry-' .. eid, eid, 'stream entry deleted while pending (trimmed outside Baton?)')
      end
      deadLettered = deadLettered + 1
      deadIds[#deadIds + 1] = 'entry-' .. eid
    else
      local rec = what[2]
      if not rec[1] then
        tombstone(taskKey, id, eid, 'task record missing for stream entry ' .. eid)
        published[#published + 1] = id
        deadLettered = deadLettered + 1
        deadIds[#deadIds + 1] = id
      elseif rec[2] ~= eid or (rec[1] ~= 'running' and rec[1] ~= 'queued') then
        cleaned = cleaned + 1
      else
        local nol = (tonumber(rec[4]) or 0) + 1
        if rec[1] == 'running' and nol >= maxDeliveries then
          redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'nol', nol,
            'why', 'max deliveries exceeded: ' .. nol .. ' deliveries ended without an outcome')
          redis.call('HDEL', taskKey, 'own', 'eid')
          redis.call('ZADD', dead, now, id)
          count(stats, 'dead', 1)
          published[#published + 1] = id
          deadLettered = deadLettered + 1
          deadIds[#deadIds + 1] = id
        elseif rec[1] == 'running' and nol >= 2 then
          -- golden-ratio steps from the seed: suspects of one call land far apart
          local frac = (seed + i * 0.6180339887) % 1
          local due = now + math.floor(frac * lease * (nol - 1))
          redis.call('HSET', taskKey, 'st', 'scheduled', 'sa', due, 'nol', nol,
            'att', math.max(0, (tonumber(rec[3]) or 1) - 1))
          redis.call('HDEL', taskKey, 'own', 'eid')
          redis.call('ZADD', delayed, due, id)
          count(stats, 'recovered', 1)
          requeued = requeued + 1
          requeuedIds[#requeuedIds + 1] = id
        else
          local newEid = redis.call('XADD', stream, '*', 't', id)
          redis.call('HSET', taskKey, 'st', 'queued', 'eid', newEid)
          redis.call('HDEL', taskKey, 'own')
          if rec[1] == 'running' then
            -- the attempt never ended: it does not use up the attempt budget
            local att = tonumber(rec[3]) or 1
            redis.call('HSET', taskKey, 'att', math.max(0, att - 1), 'nol', nol)
          end
          count(stats, 'recovered', 1)
          requeued = requeued + 1
          requeuedIds[#requeuedIds + 1] = id
        end
      end
    end
  end
end

local out = {requeued, deadLettered, cleaned, requeuedIds, deadIds, false}
if #skipped > 0 then out[7] = skipped end
for _, id in ipairs(published) do
  -- last, and through pcall: a refused PUBLISH leaves the writes whole and is reported
  local r = redis.pcall('PUBLISH', channel, id)
  if type(r) == 'table' and r.err then out[6] = r.err; break end
end
return reply(out)
