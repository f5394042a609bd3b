--[[
fail (layout v2, docs/hot-path-v2.md): record a failed attempt, fenced on the worker's token,
together with the XACK and XDEL of its entry; then either schedule a retry in the delayed set or
dead-letter the task. The task's payload and options move from its entry into its record (created
here for a task that never failed before), because the entry is deleted.

KEYS[1] stream   P:{Q}:stream      STREAM
KEYS[2] delayed  P:{Q}:delayed     ZSET  member id, score due time (ms, server clock)
KEYS[3] dead     P:{Q}:dead        ZSET  member id, score dead-lettered at (ms)
KEYS[4] stats    P:{Q}:stats       HASH  counters 'retried', 'dead'
KEYS[5] index    P:{Q}:ix:<b>      HASH  id -> state
KEYS[6] record   P:{Q}:task:<id>   HASH

ARGV[1] consumer group
ARGV[2] task id
ARGV[3] token the worker holds (the index value it was handed)
ARGV[4] mode: 'retry' or 'dead'
ARGV[5] retry delay ms (mode retry), relative to server time
ARGV[6] attempt record (JSON object text): stored as 'err', appended to 'hist'
ARGV[7] dead-letter reason (mode dead), plain text
ARGV[8] channel for terminal events (PUBLISH of the id when dead-lettered)

The record after the call: id, st ('retrying' or 'dead'), ct (created: the first entry's time),
sa (due, retry), p (payload), o (options, when the task has some), att (attempts charged,
this one included), dn (deliveries so far), nol, flt, err, hist, and for a dead task why and ft.
The index value becomes 'd' (retrying) or 'x' (dead).

Returns {OK, state} recorded ('retrying' or 'dead'); {OK, 'dead', error} recorded, but the PUBLISH
was refused (written, not notified); {NOT_HELD, state} fence rejected, nothing written;
{NOT_FOUND, ''} the task is in no index.

A retry whose entry is gone (deleted outside Baton, so its payload is lost) is dead-lettered
instead, with the reason 'payload lost: stream entry <eid> was deleted outside Baton'.

No half-applied call (a script that fails after a write is not rolled back): the index field
(HGET), the record (TYPE, HMGET), the entry (XRANGE, which fails on a wrong-typed stream), the set
the mode writes (TYPE) and the stats counter (HGET; a value that is not an integer is started
again) are read before the first write. A key of the wrong type fails the call with 'WRONGTYPE
fail.lua: key <key> holds a <type>, not a <type>; nothing was written'. The PUBLISH comes last,
through redis.pcall.

Status codes (ScriptStatus):
  OK          1  recorded
  NOT_HELD   -1  fence rejected: nothing written (the task's state is returned)
  NOT_FOUND  -2  the task is in no index: nothing written
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local stream, delayed, dead, stats, index, record = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local group, id, token, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local delayMs, attempt, reason, channel = tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]
if mode ~= 'retry' and mode ~= 'dead' then
  return redis.error_reply('ERR fail.lua: mode must be retry or dead')
end
if mode == 'retry' and not delayMs then
  return redis.error_reply('ERR fail.lua: the retry delay must be an integer')
end

local SCRIPT = 'fail.lua'
--@include v2

-- reads: the fence
local v = checked(redis.pcall('HGET', index, id), index, 'hash')
if not v then return {NOT_FOUND, ''} end
if v ~= token then return {NOT_HELD, stateOf(v)} end

-- the delivery's counts: a first delivery's token is its entry id
local dn, att, nol, flt, eid = countsOf(token)

-- reads: the record, else the entry, for the payload and options
local hasRecord = expect(record, 'hash') == 'hash'
local hist, payload, options, created
if hasRecord then
  local r = redis.call('HMGET', record, 'hist', 'p', 'o', 'ct')
  hist, payload, options, created = r[1], r[2], r[3], r[4]
end
local e = checked(redis.pcall('XRANGE', stream, eid, eid), stream, 'stream')
if e[1] then
  local kv = e[1][2]
  for x = 1, #kv, 2 do
    if kv[x] == 'p' then payload = kv[x + 1] elseif kv[x] == 'o' then options = kv[x + 1] end
  end
end
if not created or not string.match(created, '^%d+$') then created = string.match(eid, '^(%d+)') or '0' end
if not payload and mode == 'retry' then
  mode = 'dead'
  reason = 'payload lost: stream entry ' .. eid .. ' was deleted outside Baton'
end
local target = mode == 'retry' and delayed or dead
expect(target, 'zset')
local field = mode == 'retry' and 'retried' or 'dead'
local countOk = counterOk(stats, field)

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- writes: none of these can fail on a key's type any more
redis.call('XACK', stream, group, eid)
redis.call('XDEL', stream, eid)
if hist and string.sub(hist, -1) == ']' and #hist > 2 then
  hist = string.sub(hist, 1, -2) .. ',' .. attempt .. ']'
else
  hist = '[' .. attempt .. ']'
end
local state = mode == 'retry' and 'retrying' or 'dead'
redis.call('HSET', record, 'id', id, 'st', state, 'ct', created, 'att', att + 1, 'dn', dn, 'nol', nol,
  'flt', flt, 'err', attempt, 'hist', hist)
if payload then redis.call('HSET', record, 'p', payload) end
if options then redis.call('HSET', record, 'o', options) end
if mode == 'retry' then
  local due = now + math.max(0, delayMs)
  redis.call('HSET', record, 'sa', due)
  redis.call('ZADD', delayed, due, id)
  redis.call('HSET', index, id, 'd')
else
  redis.call('HSET', record, 'why', reason, 'ft', now)
  redis.call('ZADD', dead, now, id)
  redis.call('HSET', index, id, 'x')
end
if countOk then redis.call('HINCRBY', stats, field, 1) else redis.call('HSET', stats, field, 1) end
if mode == 'dead' then
  local r = redis.pcall('PUBLISH', channel, id)
  if type(r) == 'table' and r.err then return {OK, state, r.err} end
end
return {OK, state}
