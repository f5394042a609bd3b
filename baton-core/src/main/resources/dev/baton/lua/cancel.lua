--[[
cancel: end a task that has not started (or is parked). A cancelled task is never run.

KEYS[1] task     P:{Q}:task:<id>  HASH
KEYS[2] stream   P:{Q}:stream     STREAM
KEYS[3] delayed  P:{Q}:delayed    ZSET
KEYS[4] stats    P:{Q}:stats      HASH
KEYS[5] parked   P:{Q}:parked     ZSET
KEYS[6] parking  P:{Q}:parking    HASH  n:<dep> parked count per dependency

ARGV[1] consumer group
ARGV[2] retention of the finished record, ms
ARGV[3] channel for terminal events
ARGV[4] task id

A queued entry not yet delivered is deleted from the stream; one already
delivered (pending) is left for the worker, whose start script sees the
cancelled state and acknowledges it without running it.

Returns {OK, 'cancelled'}; {WRONG_STATE, state} not cancellable in that state; {NOT_FOUND}.

Status codes (ScriptStatus):
  OK            1  cancelled
  WRONG_STATE   0  not cancellable in its state (returned): nothing written
  NOT_FOUND    -2  no such task
]]
local OK, WRONG_STATE, NOT_FOUND = 1, 0, -2
local taskKey, stream, delayed, stats, parked, parking = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local group, retention, channel, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local cur = redis.call('HMGET', taskKey, 'st', 'eid', 'dep')
local st, eid = cur[1], cur[2]
if not st then return {NOT_FOUND} end
if st ~= 'scheduled' and st ~= 'retrying' and st ~= 'queued' and st ~= 'parked' then
  return {WRONG_STATE, st}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

if st == 'queued' and eid then
  local pending = redis.call('XPENDING', stream, group, eid, eid, 1)
  if #pending == 0 then redis.call('XDEL', stream, eid) end
elseif st == 'parked' then
  if redis.call('ZREM', parked, id) == 1 then redis.call('HINCRBY', parking, 'n:' .. cur[3], -1) end
else
  redis.call('ZREM', delayed, id)
end
redis.call('HSET', taskKey, 'st', 'cancelled', 'ft', now)
redis.call('PEXPIRE', taskKey, retention)
redis.call('HINCRBY', stats, 'cancelled', 1)
redis.call('PUBLISH', channel, id)
return {OK, 'cancelled'}
