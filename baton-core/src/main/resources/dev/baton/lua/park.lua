--[[
park: set aside a running task whose dependency is unavailable (breaker open, the
dependency reported down, or rate-limited), fenced, together with its XACK. The
attempt it was running is given back: parking never consumes an attempt.

KEYS[1] task     P:{Q}:task:<id>  HASH
KEYS[2] stream   P:{Q}:stream     STREAM
KEYS[3] parked   P:{Q}:parked     ZSET  member id, score when to reconsider it (ms, server clock)
KEYS[4] parking  P:{Q}:parking    HASH  n:<dep> parked count per dependency
KEYS[5] stats    P:{Q}:stats      HASH

ARGV[1] consumer group
ARGV[2] entry id the worker holds
ARGV[3] delivery number the worker holds (fencing token)
ARGV[4] dependency name
ARGV[5] reason (plain text)
ARGV[6] reconsider after this many ms, relative to server time
ARGV[7] kind: 'open' (breaker open), 'unavailable' (dependency down) or 'rate' (rate-limited)

The reconsider time is capped by the task's own deadline (ct + mw) when it has a max wait,
so a task past its deadline is ended by unpark without waiting for the dependency.

Returns {OK, 'parked', reconsiderAtMs}; {NOT_HELD, state} fence rejected, nothing written;
{NOT_FOUND} the record is gone.

No half-applied call (a script that fails after a write is not rolled back): the record is
read (HMGET) and parked, parking and stats are type-checked before the first write, which is
the XACK (a wrong-typed stream fails it, before anything else is written). A key of the wrong
type fails the call with 'WRONGTYPE park.lua: key <key> holds a <type>, not a <type>; nothing
was written'. park does not publish.

Status codes (ScriptStatus):
  OK          1  parked
  NOT_HELD   -1  fence rejected: nothing written (the task's state is returned)
  NOT_FOUND  -2  the task record is gone
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local taskKey, stream, parked, parking, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, eid, token, dep, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local afterMs, kind = tonumber(ARGV[6]), ARGV[7]

local function wrongType(key, want)
  error({err = 'WRONGTYPE park.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

local cur = redis.pcall('HMGET', taskKey, 'st', 'eid', 'dlv', 'id', 'att', 'ct', 'mw', 'pn')
if cur.err then wrongType(taskKey, 'hash') end
if not cur[1] then return {NOT_FOUND} end
if cur[1] ~= 'running' or cur[2] ~= eid or cur[3] ~= token then
  return {NOT_HELD, cur[1]}
end
expect(parked, 'zset'); expect(parking, 'hash'); expect(stats, 'hash')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = cur[4]
local at = now + math.max(0, afterMs)
local maxWait = tonumber(cur[7] or '0')
if maxWait and maxWait > 0 then
  at = math.min(at, (tonumber(cur[6]) or now) + maxWait)
end
local att = math.max(0, (tonumber(cur[5]) or 1) - 1)

-- the first write: a stream of the wrong type fails here, before anything is written
local acked = redis.pcall('XACK', stream, group, eid)
if type(acked) == 'table' and acked.err then
  if string.find(acked.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
  error(acked)
end
redis.call('XDEL', stream, eid)
redis.call('HDEL', taskKey, 'own', 'eid')
redis.call('HSET', taskKey, 'st', 'parked', 'att', att,
  'dep', dep, 'pr', reason, 'pk', kind, 'pa', now, 'sa', at, 'pn', (tonumber(cur[8]) or 0) + 1)
redis.call('ZADD', parked, at, id)
count(parking, 'n:' .. dep, 1)
count(stats, 'parked', 1)
return reply({OK, 'parked', at})
