--[[
complete: record the successful attempts of a batch of tasks of one agent type, each fenced on
its own, together with their XACK.

A worker collects the successes its handlers report while the previous call is in flight and
sends them in one call (group commit). Each task is checked and written independently: a task
whose fence fails is left untouched while the others of the batch are recorded.

KEYS[1]   stream  P:{Q}:stream       STREAM
KEYS[2]   stats   P:{Q}:stats        HASH
KEYS[2+i] task    P:{Q}:task:<id_i>  HASH, one per task

ARGV[1] consumer group
ARGV[2] retention of the finished record, ms
ARGV[3] channel for terminal events
then four per task i (base b = 3 + 4(i-1)):
ARGV[b+1] entry id the worker holds
ARGV[b+2] delivery number the worker holds (fencing token)
ARGV[b+3] result (JSON text)
ARGV[b+4] attempt record (JSON object text) appended to the history

The record keeps own (the worker whose attempt succeeded): deleting it would cost one more command
per task on the hot path, and nothing reads own once the task is finished.

Returns one element per task, in order: {OK} recorded; {NOT_HELD, state} fence rejected (the
worker no longer owns this attempt: nothing written for it); {NOT_FOUND} the record is gone.
Publishes once on the channel: the ids of the recorded tasks, separated by single spaces.

Status codes (ScriptStatus):
  OK          1  recorded
  NOT_HELD   -1  fence rejected: nothing written for this task (its state is returned)
  NOT_FOUND  -2  the task record is gone
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local stream, stats = KEYS[1], KEYS[2]
local group, retention, channel = ARGV[1], ARGV[2], ARGV[3]
local n = #KEYS - 2
if #ARGV ~= 3 + 4 * n then
  return redis.error_reply('ERR complete: expected ' .. (3 + 4 * n) .. ' arguments, got ' .. #ARGV)
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local out, acked, done = {}, {}, {}
for i = 1, n do
  local taskKey, b = KEYS[2 + i], 3 + 4 * (i - 1)
  local eid, token, result, record = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local cur = redis.call('HMGET', taskKey, 'st', 'eid', 'dlv', 'hist', 'id')
  if not cur[1] then
    out[i] = {NOT_FOUND}
  elseif cur[1] ~= 'running' or cur[2] ~= eid or cur[3] ~= token then
    out[i] = {NOT_HELD, cur[1]}
  else
    local hist = cur[4]
    if hist then hist = string.sub(hist, 1, -2) .. ',' .. record .. ']' else hist = '[' .. record .. ']' end
    redis.call('HSET', taskKey, 'st', 'succeeded', 'r', result, 'ft', now, 'hist', hist)
    redis.call('PEXPIRE', taskKey, retention)
    acked[#acked + 1] = eid
    done[#done + 1] = cur[5]
    out[i] = {OK}
  end
end

if #acked > 0 then
  redis.call('XACK', stream, group, unpack(acked))
  redis.call('XDEL', stream, unpack(acked))
  redis.call('HINCRBY', stats, 'succeeded', #acked)
  redis.call('PUBLISH', channel, table.concat(done, ' '))
end
return out
