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

Returns {OK, state} recorded ('retrying' or 'dead'); {NOT_HELD, state} fence rejected,
nothing written; {NOT_FOUND} the record is gone.

Status codes (ScriptStatus):
  OK          1  recorded
  NOT_HELD   -1  fence rejected: nothing written (the task's state is returned)
  NOT_FOUND  -2  the task record is gone
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local taskKey, stream, delayed, dead, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, eid, token, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local delayMs, record, reason, channel = tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]

local cur = redis.call('HMGET', taskKey, 'st', 'eid', 'dlv', 'hist', 'id')
if not cur[1] then return {NOT_FOUND} end
if cur[1] ~= 'running' or cur[2] ~= eid or cur[3] ~= token then
  return {NOT_HELD, cur[1]}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = cur[5]
local hist = cur[4]
if hist then hist = string.sub(hist, 1, -2) .. ',' .. record .. ']' else hist = '[' .. record .. ']' end

redis.call('XACK', stream, group, eid)
redis.call('XDEL', stream, eid)
redis.call('HDEL', taskKey, 'own', 'eid')
if mode == 'retry' then
  local due = now + delayMs
  redis.call('HSET', taskKey, 'st', 'retrying', 'sa', due, 'err', record, 'hist', hist)
  redis.call('ZADD', delayed, due, id)
  redis.call('HINCRBY', stats, 'retried', 1)
  return {OK, 'retrying'}
end
redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'err', record, 'hist', hist, 'why', reason)
redis.call('ZADD', dead, now, id)
redis.call('HINCRBY', stats, 'dead', 1)
redis.call('PUBLISH', channel, id)
return {OK, 'dead'}
