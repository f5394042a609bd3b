--[[
cancel (layout v2, docs/hot-path-v2.md): end a task that is not running (waiting in the stream,
scheduled, retrying or parked). A cancelled task is never run; a running one is left alone, as on
layout 1 (the public contract of Dispatcher.cancel): its state 'running' is returned.

By the task's index value:
  '<eid>', 'q...' or 'i...' (in the stream): running when its entry is pending under a worker's
    consumer (a fetched entry counts, also one a worker holds in its prefetch buffer): refused.
    Otherwise waiting (not pending, or pending under '~released', '~recovered' or '~suspect'):
    its entry is deleted (XDEL, after an XACK when pending), so no worker reads or claims it,
    and the token is gone with the index field, so an old holder of the task (released or
    recovered away from it) has its outcome refused and its heartbeat answered NOT_HELD.
  'd' (scheduled, retrying): removed from the delayed set.
  'k' (parked): removed from the parked set; its dependency's parked count (n:<dep> in parking)
    goes down by one.
  'x' (dead), or no index field with a finished value (succeeded, cancelled): refused.
Then: the index field is deleted, the finished value 'c,<now>,<attempts charged>,|' is written
with the retention, a record (if the task has one: it failed or waited before) gets st
'cancelled' and ft and the same TTL, the counter 'cancelled' goes up, and the id is published.

KEYS[1] stream   P:{Q}:stream     STREAM
KEYS[2] delayed  P:{Q}:delayed    ZSET
KEYS[3] parked   P:{Q}:parked     ZSET
KEYS[4] parking  P:{Q}:parking    HASH  n:<dep> parked count per dependency
KEYS[5] stats    P:{Q}:stats      HASH  counter 'cancelled'
KEYS[6] index    P:{Q}:ix:<b>     HASH  id -> state
KEYS[7] done     P:{Q}:done:<id>  STRING
KEYS[8] record   P:{Q}:task:<id>  HASH

ARGV[1] consumer group
ARGV[2] retention of the finished value (and record), ms
ARGV[3] channel for terminal events (PUBLISH of the id)
ARGV[4] task id

Returns {OK, 'cancelled'}; {OK, 'cancelled', error} cancelled, but the PUBLISH was refused
(written, not notified); {WRONG_STATE, state} not cancellable in that state ('running', 'dead',
'succeeded', 'cancelled'): nothing written; {NOT_FOUND, ''} no such task.

No half-applied call (a script that fails after a write is not rolled back): the index field
(HGET), the finished value (GET), the record (TYPE, HMGET), the entry's pending state (XPENDING,
which fails on a wrong-typed stream), the set the task is removed from and the parking hash
(TYPE) and the stats hash (TYPE) are read before the first write. A key of the wrong type fails
the call with 'WRONGTYPE cancel.lua: key <key> holds a <type>, not a <type>; nothing was
written'; an index value Baton does not write fails it with 'ERR cancel.lua: ...', nothing
written. Counters that are not integers are started again (include counters). The PUBLISH
comes last, through redis.pcall.

Status codes (ScriptStatus):
  OK            1  cancelled
  WRONG_STATE   0  not cancellable in its state (returned): nothing written
  NOT_FOUND    -2  no such task: nothing written
]]
local OK, WRONG_STATE, NOT_FOUND = 1, 0, -2
local stream, delayed, parked, parking, stats, index, done, record =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local group, retention, channel, id = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
if not retention or retention < 1 then
  return redis.error_reply('ERR cancel.lua: the retention must be an integer >= 1')
end

local SCRIPT = 'cancel.lua'
--@include v2
--@include counters (dev/baton/lua/include/counters.lua: count, reply)

-- reads: where the task is
local v = checked(redis.pcall('HGET', index, id), index, 'hash')
if not v then
  local d = checked(redis.pcall('GET', done), done, 'string')
  if not d then return {NOT_FOUND, ''} end
  return {WRONG_STATE, string.sub(d, 1, 1) == 'c' and 'cancelled' or 'succeeded'}
end
local c = string.sub(v, 1, 1)
if c == 'x' then return {WRONG_STATE, 'dead'} end

local hasRecord = expect(record, 'hash') == 'hash'
local att, dep = 0, nil
if hasRecord then
  local r = redis.call('HMGET', record, 'att', 'dep')
  att, dep = tonumber(r[1]) or 0, r[2]
end
local eid, ack = nil, false
if c == 'd' then
  expect(delayed, 'zset')
elseif c == 'k' then
  expect(parked, 'zset')
  expect(parking, 'hash')
elseif c == 'q' or c == 'i' or string.match(c, '%d') then
  eid = v
  if c == 'q' or c == 'i' then
    local b, e = string.match(v, '^[qi]%d+,(%d+),%d+,%d+,(.+)$')
    if not e then
      return redis.error_reply('ERR cancel.lua: task ' .. id .. ' has an index value Baton does not write; nothing was written')
    end
    att, eid = tonumber(b), e
  else
    att = 0
  end
  local p = checked(redis.pcall('XPENDING', stream, group, eid, eid, 1), stream, 'stream')
  if p[1] then
    if string.sub(p[1][2], 1, 1) ~= '~' then return {WRONG_STATE, 'running'} end
    ack = true
  end
else
  return redis.error_reply('ERR cancel.lua: task ' .. id .. ' has an index value Baton does not write; nothing was written')
end
checked(redis.pcall('GET', done), done, 'string')
expect(stats, 'hash')

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- writes: none of these can fail on a key's type any more
if eid then
  if ack then redis.call('XACK', stream, group, eid) end
  redis.call('XDEL', stream, eid)
elseif c == 'd' then
  redis.call('ZREM', delayed, id)
elseif redis.call('ZREM', parked, id) == 1 and dep then
  count(parking, 'n:' .. dep, -1)
end
redis.call('HDEL', index, id)
redis.call('SET', done, 'c,' .. now .. ',' .. att .. ',|', 'PX', retention)
if hasRecord then
  redis.call('HSET', record, 'st', 'cancelled', 'ft', now)
  redis.call('PEXPIRE', record, retention)
end
count(stats, 'cancelled', 1)
-- last, and through pcall: a refused PUBLISH leaves the cancellation whole and is reported
local published = redis.pcall('PUBLISH', channel, id)
if type(published) == 'table' and published.err then return reply({OK, 'cancelled', published.err}) end
return reply({OK, 'cancelled'})
