--[[
fail: record a failed attempt, fenced, together with its XACK; then either
schedule a retry in the delayed set or move the task to the dead-letter set.

KEYS[1] task     P:{Q}:task:<id>  HASH
KEYS[2] stream   P:{Q}:stream     STREAM
KEYS[3] delayed  P:{Q}:delayed    ZSET  member id, score due time (ms, server clock)
KEYS[4] dead     P:{Q}:dead       ZSET  member id, score dead-lettered at (ms)
KEYS[5] stats    P:{Q}:stats      HASH

ARGV[1] consumer group
ARGV[2] entry id the worker holds
ARGV[3] delivery number the worker holds (fencing token)
ARGV[4] mode: 'retry' or 'dead'
ARGV[5] retry delay ms (mode retry), relative to server time
ARGV[6] error record (JSON object text): stored as last error, appended to history
ARGV[7] dead-letter reason (mode dead), plain text
ARGV[8] channel for terminal events

Returns {OK, state} recorded ('retrying' or 'dead'); {OK, 'dead', 0, error} recorded, but
the PUBLISH was refused (written, not notified); {NOT_HELD, state} fence rejected, nothing
written; {NOT_FOUND} the record is gone.

No half-applied call (a script that fails after a write is not rolled back): the record is
read (HMGET) and the set the mode writes (delayed or dead) and stats are type-checked before
the first write, which is the XACK (a wrong-typed stream fails it, before anything else is
written). A key of the wrong type fails the call with 'WRONGTYPE fail.lua: key <key> holds a
<type>, not a <type>; nothing was written'. The PUBLISH (mode dead) comes last, through
redis.pcall: an ACL that denies the channel leaves the dead letter whole, and the reply says
it was not notified, instead of the call failing after the write (whose retry would then be
refused as NOT_HELD). Two extra commands (TYPE) per call; fail is not on the hot path.

Status codes (ScriptStatus):
  OK          1  recorded
  NOT_HELD   -1  fence rejected: nothing written (the task's state is returned)
  NOT_FOUND  -2  the task record is gone
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local taskKey, stream, delayed, dead, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, eid, token, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local delayMs, record, reason, channel = tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]

local function wrongType(key, want)
  error({err = 'WRONGTYPE fail.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

local cur = redis.pcall('HMGET', taskKey, 'st', 'eid', 'dlv', 'hist', 'id')
if cur.err then wrongType(taskKey, 'hash') end
if not cur[1] then return {NOT_FOUND} end
if cur[1] ~= 'running' or cur[2] ~= eid or cur[3] ~= token then
  return {NOT_HELD, cur[1]}
end
if mode == 'retry' then expect(delayed, 'zset') else expect(dead, 'zset') end
expect(stats, 'hash')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = cur[5]
local hist = cur[4]
if hist then hist = string.sub(hist, 1, -2) .. ',' .. record .. ']' else hist = '[' .. record .. ']' end
local due = now + (delayMs or 0)

-- the first write: a stream of the wrong type fails here, before anything is written
local acked = redis.pcall('XACK', stream, group, eid)
if type(acked) == 'table' and acked.err then
  if string.find(acked.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
  error(acked)
end
redis.call('XDEL', stream, eid)
redis.call('HDEL', taskKey, 'own', 'eid')
if mode == 'retry' then
  redis.call('HSET', taskKey, 'st', 'retrying', 'sa', due, 'err', record, 'hist', hist)
  redis.call('ZADD', delayed, due, id)
  count(stats, 'retried', 1)
  return reply({OK, 'retrying'})
end
redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'err', record, 'hist', hist, 'why', reason)
redis.call('ZADD', dead, now, id)
count(stats, 'dead', 1)
-- last, and through pcall: a refused PUBLISH leaves the dead letter whole and is reported
local published = redis.pcall('PUBLISH', channel, id)
if type(published) == 'table' and published.err then return reply({OK, 'dead', 0, published.err}) end
return reply({OK, 'dead'})
