--[[
unpark: reconsider due parked tasks of one dependency. Each due task is, in order:
ended (dead) when it waited past its own deadline (ct + mw); released to the stream
when mode is 'release' and the current wave has room; otherwise held (its reconsider
time pushed back). Safe with any number of callers at once: a member is acted on only
while it is in the parked set and due.

Waves are shared by every worker through the ramp state r:<dep> =
"gen,waveStartMs,waveSize,releasedInWave": the first wave after the breaker's gen
changed releases `initial` tasks, and each interval doubles the wave (capped by
`cap` when cap > 0, e.g. to the probe count while half-open).

KEYS[1]   parked   P:{Q}:parked   ZSET  member id, score reconsider time (ms, server clock)
KEYS[2]   stream   P:{Q}:stream   STREAM
KEYS[3]   parking  P:{Q}:parking  HASH  n:<dep> parked count, r:<dep> ramp state
KEYS[4]   stats    P:{Q}:stats    HASH
KEYS[5]   dead     P:{Q}:dead     ZSET
KEYS[5+i] task     P:{Q}:task:<id_i>  HASH

ARGV[1]   dependency name
ARGV[2]   mode: 'release' or 'hold'
ARGV[3]   breaker gen the caller saw (release)
ARGV[4]   first wave size (release), >= 1
ARGV[5]   wave interval ms (release)
ARGV[6]   wave cap (release), 0 = none
ARGV[7]   hold ms: how far to push back a task that is not released
ARGV[8]   channel for terminal events
ARGV[8+i] task id i (same order as KEYS[5+i])

Returns {released, ended, held, releasedIds, endedIds[, unnotified]}: the counts, then the
ids of the tasks released to the stream and of those dead-lettered past their max wait; a
sixth element, the Redis error, only when the PUBLISH of an ended task was refused.

No half-applied call (a script that fails after a write is not rolled back): the ramp
(HGET parking), every member's score (ZSCORE parked) and every record (HMGET) are read, and
the keys written without being read (stream when releasing; dead and stats when ending) are
type-checked once per call, before the first write. A key of the wrong type fails the call
with 'WRONGTYPE unpark.lua: key <key> holds a <type>, not a <type>; nothing was written'. The
PUBLISH of ended tasks comes after every write, through redis.pcall: an ACL that denies the
channel leaves the call whole, and the refusal is returned as the sixth element (written,
not notified).
]]
local parked, stream, parking, stats, dead = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local dep, mode, gen = ARGV[1], ARGV[2], ARGV[3]
local initial, interval, cap = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local holdMs, channel = tonumber(ARGV[7]), ARGV[8]

local function wrongType(key, want)
  error({err = 'WRONGTYPE unpark.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local countField, rampField = 'n:' .. dep, 'r:' .. dep

-- reads: the ramp, every member and record, before anything is written
expect(parking, 'hash'); expect(parked, 'zset')
local allowance, waveStart, wave, releasedInWave = 0, now, initial, 0
if mode == 'release' then
  local ramp = redis.call('HGET', parking, rampField)
  local rg, rs, rw, rr
  if ramp then rg, rs, rw, rr = string.match(ramp, '^([^,]*),(%d+),(%d+),(%d+)$') end
  if rg == gen then
    waveStart, wave, releasedInWave = tonumber(rs), tonumber(rw), tonumber(rr)
    if now >= waveStart + interval then
      wave, waveStart, releasedInWave = math.min(wave * 2, 1073741824), now, 0
    end
  end
  if cap > 0 then wave = math.min(wave, cap) end
  allowance = wave - releasedInWave
end

local released, ended, held = 0, 0, 0
local plan, seen = {}, {}
for i = 9, #ARGV do
  local id, taskKey = ARGV[i], KEYS[5 + i - 8]
  local score = redis.call('ZSCORE', parked, id)
  if score and tonumber(score) <= now and not seen[id] then
    seen[id] = true
    local f = redis.pcall('HMGET', taskKey, 'st', 'dep', 'ct', 'mw', 'pr')
    if f.err then wrongType(taskKey, 'hash') end
    local maxWait = tonumber(f[4] or '0') or 0
    local ct = tonumber(f[3]) or 0
    if f[1] ~= 'parked' then
      plan[i] = {'drop'} -- not parked any more (cannot happen through Baton's scripts)
    elseif f[2] == dep then
      if maxWait > 0 and now >= ct + maxWait then
        plan[i] = {'end', 'waited longer than its max wait of ' .. maxWait .. 'ms for dependency ' .. dep .. ': '
          .. (f[5] or '')}
        ended = ended + 1
      elseif allowance > 0 then
        plan[i] = {'release'}
        allowance = allowance - 1
        released = released + 1
      else
        local holdUntil = now + holdMs
        if mode == 'release' then holdUntil = waveStart + interval end
        if maxWait > 0 then holdUntil = math.min(holdUntil, ct + maxWait) end
        plan[i] = {'hold', holdUntil}
        held = held + 1
      end
    end
  end
end
if released > 0 then expect(stream, 'stream'); expect(stats, 'hash') end
if ended > 0 then expect(dead, 'zset'); expect(stats, 'hash') end

-- writes: none of these can fail on a key's type any more
local releasedIds, endedIds = {}, {}
for i = 9, #ARGV do
  local p = plan[i]
  if p then
    local id, taskKey = ARGV[i], KEYS[5 + i - 8]
    if p[1] == 'drop' then
      redis.call('ZREM', parked, id)
    elseif p[1] == 'end' then
      redis.call('ZREM', parked, id)
      count(parking, countField, -1)
      redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'why', p[2])
      redis.call('ZADD', dead, now, id)
      count(stats, 'dead', 1)
      endedIds[#endedIds + 1] = id
    elseif p[1] == 'release' then
      redis.call('ZREM', parked, id)
      count(parking, countField, -1)
      local eid = redis.call('XADD', stream, '*', 't', id)
      redis.call('HSET', taskKey, 'st', 'queued', 'eid', eid, 'sa', now)
      redis.call('HDEL', taskKey, 'dep', 'pr', 'pk')
      count(stats, 'unparked', 1)
      releasedIds[#releasedIds + 1] = id
    else
      redis.call('ZADD', parked, p[2], id)
      redis.call('HSET', taskKey, 'sa', p[2])
    end
  end
end
if mode == 'release' then
  redis.call('HSET', parking, rampField,
    gen .. ',' .. waveStart .. ',' .. wave .. ',' .. (releasedInWave + released))
end
local out = {released, ended, held, releasedIds, endedIds}
for _, id in ipairs(endedIds) do
  -- last, and through pcall: a refused PUBLISH leaves the call whole and is reported
  local r = redis.pcall('PUBLISH', channel, id)
  if type(r) == 'table' and r.err then out[6] = r.err; break end
end
return reply(out)
