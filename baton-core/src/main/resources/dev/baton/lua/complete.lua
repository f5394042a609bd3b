--[[
complete: record a successful attempt, fenced, together with its XACK.

KEYS[1] task    P:{Q}:task:<id>  HASH
KEYS[2] stream  P:{Q}:stream     STREAM
KEYS[3] stats   P:{Q}:stats      HASH

ARGV[1] consumer group
ARGV[2] entry id the worker holds
ARGV[3] delivery number the worker holds (fencing token)
ARGV[4] result (JSON text)
ARGV[5] retention of the finished record, ms
ARGV[6] attempt record (JSON object text) appended to the history
ARGV[7] channel for terminal events

Returns {1} recorded; {-1, state} fence rejected (the worker no longer owns this
attempt: nothing written); {-2} the record is gone.
]]
local taskKey, stream, stats = KEYS[1], KEYS[2], KEYS[3]
local group, eid, token, result = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local retention, record, channel = ARGV[5], ARGV[6], ARGV[7]

local cur = redis.call('HMGET', taskKey, 'st', 'eid', 'dlv', 'hist', 'id')
if not cur[1] then return {-2} end
if cur[1] ~= 'running' or cur[2] ~= eid or cur[3] ~= token then
  return {-1, cur[1]}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hist = cur[4]
if hist then hist = string.sub(hist, 1, -2) .. ',' .. record .. ']' else hist = '[' .. record .. ']' end

redis.call('XACK', stream, group, eid)
redis.call('XDEL', stream, eid)
redis.call('HSET', taskKey, 'st', 'succeeded', 'r', result, 'ft', now, 'hist', hist)
redis.call('HDEL', taskKey, 'own')
redis.call('PEXPIRE', taskKey, retention)
redis.call('HINCRBY', stats, 'succeeded', 1)
redis.call('PUBLISH', channel, cur[5])
return {1}
