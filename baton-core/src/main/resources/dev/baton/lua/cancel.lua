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

Returns {OK, 'cancelled'}; {OK, 'cancelled', error} cancelled, but the PUBLISH was refused
(written, not notified); {WRONG_STATE, state} not cancellable in that state; {NOT_FOUND}.

No half-applied call (a script that fails after a write is not rolled back): the record is
read (HMGET) and every other key this call writes is type-checked (TYPE) before the first
write; a key of the wrong type fails the call with 'WRONGTYPE cancel.lua: key <key> holds a
<type>, not a <type>; nothing was written'. The PUBLISH comes last, through redis.pcall: an
ACL that denies the channel leaves the cancellation whole and is reported in the reply.

Status codes (ScriptStatus):
  OK            1  cancelled
  WRONG_STATE   0  not cancellable in its state (returned): nothing written
  NOT_FOUND    -2  no such task
]]
local OK, WRONG_STATE, NOT_FOUND = 1, 0, -2
local taskKey, stream, delayed, stats, parked, parking = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local group, retention, channel, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if not tonumber(retention) then
  return redis.error_reply('ERR cancel: the retention must be an integer') -- PEXPIRE would fail after writes
end
local function wrongType(key, want)
  error({err = 'WRONGTYPE cancel.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

local cur = redis.pcall('HMGET', taskKey, 'st', 'eid', 'dep')
if cur.err then wrongType(taskKey, 'hash') end
local st, eid = cur[1], cur[2]
if not st then return {NOT_FOUND} end
if st ~= 'scheduled' and st ~= 'retrying' and st ~= 'queued' and st ~= 'parked' then
  return {WRONG_STATE, st}
end
expect(stats, 'hash')
local unsent = false
if st == 'queued' and eid then
  expect(stream, 'stream')
  unsent = #redis.call('XPENDING', stream, group, eid, eid, 1) == 0
elseif st == 'parked' then
  expect(parked, 'zset'); expect(parking, 'hash')
else
  expect(delayed, 'zset')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- writes: none of these can fail on a key's type any more
if unsent then
  redis.call('XDEL', stream, eid)
elseif st == 'parked' then
  if redis.call('ZREM', parked, id) == 1 then count(parking, 'n:' .. cur[3], -1) end
elseif st ~= 'queued' then
  redis.call('ZREM', delayed, id)
end
redis.call('HSET', taskKey, 'st', 'cancelled', 'ft', now)
redis.call('PEXPIRE', taskKey, retention)
count(stats, 'cancelled', 1)
-- last, and through pcall: a refused PUBLISH leaves the cancellation whole and is reported
local published = redis.pcall('PUBLISH', channel, id)
if type(published) == 'table' and published.err then return reply({OK, 'cancelled', published.err}) end
return reply({OK, 'cancelled'})
