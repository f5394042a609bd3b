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

Status codes (ScriptStatus):
  OK          1  parked
  NOT_HELD   -1  fence rejected: nothing written (the task's state is returned)
  NOT_FOUND  -2  the task record is gone
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local taskKey, stream, parked, parking, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, eid, token, dep, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local afterMs, kind = tonumber(ARGV[6]), ARGV[7]

local cur = redis.call('HMGET', taskKey, 'st', 'eid', 'dlv', 'id', 'att', 'ct', 'mw')
if not cur[1] then return {NOT_FOUND} end
if cur[1] ~= 'running' or cur[2] ~= eid or cur[3] ~= token then
  return {NOT_HELD, cur[1]}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = cur[4]
local at = now + math.max(0, afterMs)
local maxWait = tonumber(cur[7] or '0')
if maxWait and maxWait > 0 then
  at = math.min(at, tonumber(cur[6]) + maxWait)
end

redis.call('XACK', stream, group, eid)
redis.call('XDEL', stream, eid)
redis.call('HDEL', taskKey, 'own', 'eid')
redis.call('HSET', taskKey, 'st', 'parked', 'att', math.max(0, tonumber(cur[5]) - 1),
  'dep', dep, 'pr', reason, 'pk', kind, 'pa', now, 'sa', at)
redis.call('HINCRBY', taskKey, 'pn', 1)
redis.call('ZADD', parked, at, id)
redis.call('HINCRBY', parking, 'n:' .. dep, 1)
redis.call('HINCRBY', stats, 'parked', 1)
return {OK, 'parked', at}
