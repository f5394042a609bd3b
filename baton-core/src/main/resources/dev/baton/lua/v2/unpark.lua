--[[
unpark (layout v2, docs/hot-path-v2.md): reconsider due parked tasks of one dependency. Each due
task is, in order: ended (dead) when it waited past its own deadline (ct + mw, mw from its
options 'o'); released to the stream when mode is 'release' and the current wave has room;
otherwise held (its reconsider time pushed back). Safe with any number of callers at once: a
member is acted on only while it is in the parked set and due, and its index value is 'k'.

Waves are shared by every worker through the ramp state r:<dep> =
"gen,waveStartMs,waveSize,releasedInWave" in the parking hash (as layout 1's unpark.lua): the
first wave after the breaker's gen changed releases `initial` tasks, and each interval doubles
the wave (capped by `cap` when cap > 0, e.g. to the probe count while half-open).

A released task goes back to the stream as promote.lua moves a retry: an entry {t, p[, o], a}
with a = '<n>,<att>,<nol>,<flt>' (n = dn + 1: the delivery it will be), its index value
'q<a>,<eid>' (the token of that delivery), its record kept (history) with st 'queued' and the
parking fields dep, pr, pk removed (pn, the times parked, stays). Parking charged no attempt, so
att is the record's.

A due member whose index value is not 'k' (the task moved on: cancelled, or written outside
Baton), or whose record is in another state, is only removed from the parked set. A member whose
index value is 'k' but whose record has no payload (its entry was deleted outside Baton before it
was parked, or the record is gone) is dead-lettered whatever its dependency: 'payload lost: the
task's stream entry was deleted outside Baton before it was parked'. A member parked on another
dependency is left alone.

KEYS[1]   parked   P:{Q}:parked   ZSET  member id, score reconsider time (ms, server clock)
KEYS[2]   stream   P:{Q}:stream   STREAM
KEYS[3]   parking  P:{Q}:parking  HASH  n:<dep> parked count, r:<dep> ramp state
KEYS[4]   stats    P:{Q}:stats    HASH  counters 'unparked', 'dead'
KEYS[5]   dead     P:{Q}:dead     ZSET
then two per task i:
KEYS[4+2i] record  P:{Q}:task:<id_i> HASH
KEYS[5+2i] index   P:{Q}:ix:<b_i>    HASH

ARGV[1]   dependency name
ARGV[2]   mode: 'release' or 'hold'
ARGV[3]   breaker gen the caller saw (release)
ARGV[4]   first wave size (release), >= 1
ARGV[5]   wave interval ms (release)
ARGV[6]   wave cap (release), 0 = none
ARGV[7]   hold ms: how far to push back a task that is not released
ARGV[8]   channel for terminal events
ARGV[8+i] task id i

Returns {released, ended, held, releasedIds, endedIds[, unnotified]}: the counts, then the ids of
the tasks released to the stream and of those dead-lettered; a sixth element, the Redis error,
only when the PUBLISH of an ended task was refused.

No half-applied call (a script that fails after a write is not rolled back): the parking hash
(TYPE, the ramp and the count by HGET), every member's score (ZSCORE), index value (HGET) and
record (HMGET) are read, and the keys written without being read (stream when releasing; dead
when ending) are type-checked, the stats counters read (a value that is not an integer is
started again), all before the first write. A key of the wrong type fails the call with
'WRONGTYPE unpark.lua: key <key> holds a <type>, not a <type>; nothing was written'. The
PUBLISH of ended tasks comes after every write, through redis.pcall.
]]
local parked, stream, parking, stats, dead = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local dep, mode, gen = ARGV[1], ARGV[2], ARGV[3]
local initial, interval, cap = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local holdMs, channel = tonumber(ARGV[7]), ARGV[8]
local n = #ARGV - 8
if n < 0 or #KEYS ~= 5 + 2 * n then
  return redis.error_reply('ERR unpark.lua: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole tasks')
end
if (mode ~= 'release' and mode ~= 'hold') or not initial or not interval or not cap or not holdMs then
  return redis.error_reply('ERR unpark.lua: mode must be release or hold, and the wave and hold figures integers')
end

local SCRIPT = 'unpark.lua'
--@include v2
local function isCounter(v)
  return v == false or (string.match(v, '^%-?%d+$') ~= nil and #v <= 18)
end
-- counters read before the first write: one that holds something else is started again
local counterOk = {}
local function readCounter(key, field)
  counterOk[key .. '\0' .. field] = isCounter(checked(redis.pcall('HGET', key, field), key, 'hash'))
end
local function bump(key, field, by)
  local k = key .. '\0' .. field
  if counterOk[k] then
    redis.call('HINCRBY', key, field, by)
  else
    redis.call('HSET', key, field, math.max(by, 0))
    counterOk[k] = true
  end
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local countField, rampField = 'n:' .. dep, 'r:' .. dep

-- reads: the ramp, every member, index value and record, before anything is written
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
for i = 1, n do
  local id, record, index = ARGV[8 + i], KEYS[4 + 2 * i], KEYS[5 + 2 * i]
  local score = checked(redis.pcall('ZSCORE', parked, id), parked, 'zset')
  if score and tonumber(score) <= now and not seen[id] then
    seen[id] = true
    local v = checked(redis.pcall('HGET', index, id), index, 'hash')
    local f = checked(redis.pcall('HMGET', record, 'st', 'dep', 'ct', 'o', 'pr', 'p', 'dn', 'att', 'nol', 'flt'),
      record, 'hash')
    if v ~= 'k' then
      plan[i] = {'drop'} -- moved on (cancelled, or written outside Baton): only the member goes
    elseif not f[6] then
      plan[i] = {'end', "payload lost: the task's stream entry was deleted outside Baton before it was parked", f[2]}
      if f[2] then readCounter(parking, 'n:' .. f[2]) end
      ended = ended + 1
    elseif f[1] ~= 'parked' then
      plan[i] = {'drop'}
    elseif f[2] == dep then
      local maxWait = 0
      if f[4] then
        local ok, o = pcall(cjson.decode, f[4])
        maxWait = ok and type(o) == 'table' and tonumber(o['mw']) or 0
      end
      local ct = tonumber(f[3]) or 0
      if maxWait > 0 and now >= ct + maxWait then
        plan[i] = {'end', 'waited longer than its max wait of ' .. maxWait .. 'ms for dependency ' .. dep .. ': '
          .. (f[5] or ''), dep}
        ended = ended + 1
      elseif allowance > 0 then
        plan[i] = {'release', f[6], f[4], tonumber(f[7]) or 0, tonumber(f[8]) or 0, tonumber(f[9]) or 0,
          tonumber(f[10]) or 0}
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
if released > 0 or ended > 0 then readCounter(parking, countField) end
if released > 0 then expect(stream, 'stream'); readCounter(stats, 'unparked') end
if ended > 0 then expect(dead, 'zset'); readCounter(stats, 'dead') end

-- writes: none of these can fail on a key's type any more
local releasedIds, endedIds = {}, {}
for i = 1, n do
  local p = plan[i]
  if p then
    local id, record, index = ARGV[8 + i], KEYS[4 + 2 * i], KEYS[5 + 2 * i]
    if p[1] == 'drop' then
      redis.call('ZREM', parked, id)
    elseif p[1] == 'end' then
      redis.call('ZREM', parked, id)
      if p[3] then bump(parking, 'n:' .. p[3], -1) end
      redis.call('HSET', record, 'id', id, 'st', 'dead', 'ft', now, 'why', p[2])
      redis.call('ZADD', dead, now, id)
      redis.call('HSET', index, id, 'x')
      bump(stats, 'dead', 1)
      endedIds[#endedIds + 1] = id
    elseif p[1] == 'release' then
      redis.call('ZREM', parked, id)
      bump(parking, countField, -1)
      local a = (p[4] + 1) .. ',' .. p[5] .. ',' .. p[6] .. ',' .. p[7]
      local fields = {'t', id, 'p', p[2]}
      if p[3] then fields[#fields + 1] = 'o'; fields[#fields + 1] = p[3] end
      fields[#fields + 1] = 'a'; fields[#fields + 1] = a
      local eid = redis.call('XADD', stream, '*', unpack(fields))
      redis.call('HSET', index, id, 'q' .. a .. ',' .. eid)
      redis.call('HSET', record, 'st', 'queued')
      redis.call('HDEL', record, 'dep', 'pr', 'pk')
      bump(stats, 'unparked', 1)
      releasedIds[#releasedIds + 1] = id
    else
      redis.call('ZADD', parked, p[2], id)
      redis.call('HSET', record, 'sa', p[2])
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
return out
