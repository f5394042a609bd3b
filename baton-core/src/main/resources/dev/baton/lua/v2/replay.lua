--[[
replay (layout v2, docs/hot-path-v2.md): put a dead-lettered task back on its stream with a fresh
attempt budget, as layout 1's replay.lua does. Its history is kept.

The task goes back as promote.lua moves a retry: an entry {t, p[, o], a} with
a = '<dn+1>,0,<nol>,0' (the delivery it will be; attempts charged and uncounted worker faults
start again at 0, deliveries without an outcome are kept), its index value 'q<a>,<eid>' (the
token of that delivery), its record kept with st 'queued', att 0 and flt 0, and why and ft
removed (and any TTL). A stream that no longer exists is created with the consumer group and the
layout marker, as queue.lua does.

KEYS[1] stream   P:{Q}:stream     STREAM
KEYS[2] dead     P:{Q}:dead       ZSET   member id, score dead-lettered at (ms)
KEYS[3] stats    P:{Q}:stats      HASH   counter 'replayed'
KEYS[4] index    P:{Q}:ix:<b>     HASH   id -> state
KEYS[5] record   P:{Q}:task:<id>  HASH
KEYS[6] layout   P:{Q}:layout     STRING '2'

ARGV[1] consumer group
ARGV[2] task id

Returns {OK, entryId} replayed; {WRONG_STATE, state} not dead, nothing written; {NOT_FOUND, ''}
no such task, nothing written; {TOMBSTONE, ''} dead but without a payload (a tombstone of an
unreadable entry, or an index 'x' without a record): it cannot run again, purge it instead.

No half-applied call (a script that fails after a write is not rolled back): the index field
(HGET), the record (HMGET), the stream's type (TYPE, which also decides whether to create it),
the dead set's type (TYPE) and the stats counter (HGET; a value that is not an integer is started
again) are read before the first write. A key of the wrong type fails the call with 'WRONGTYPE
replay.lua: key <key> holds a <type>, not a <type>; nothing was written'.

Status codes (ScriptStatus):
  OK            1  replayed
  WRONG_STATE   0  not dead (its state is returned): nothing written
  NOT_FOUND    -2  no such task: nothing written
  TOMBSTONE    -3  dead without a payload: nothing written
]]
local OK, WRONG_STATE, NOT_FOUND, TOMBSTONE = 1, 0, -2, -3
local stream, dead, stats, index, record, layout = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local group, id = ARGV[1], ARGV[2]

local SCRIPT = 'replay.lua'
--@include v2

-- reads: the index, then the record
local v = checked(redis.pcall('HGET', index, id), index, 'hash')
local r = checked(redis.pcall('HMGET', record, 'st', 'p', 'o', 'dn', 'nol'), record, 'hash')
if not v then
  -- no index field: a record left dead without one (written outside Baton) is still replayable
  if r[1] ~= 'dead' then return {NOT_FOUND, ''} end
elseif v ~= 'x' then
  return {WRONG_STATE, stateOf(v)}
elseif r[1] and r[1] ~= 'dead' then
  return {WRONG_STATE, r[1]}
end
if not r[2] then return {TOMBSTONE, ''} end
local streamType = expect(stream, 'stream')
expect(dead, 'zset')
if streamType == 'none' then expect(layout, 'string') end
local c = checked(redis.pcall('HGET', stats, 'replayed'), stats, 'hash')
local countOk = c == false or (string.match(c, '^%-?%d+$') ~= nil and #c <= 18)

-- writes: none of these can fail on a key's type any more
if streamType == 'none' then
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  redis.call('SET', layout, '2')
end
local a = ((tonumber(r[4]) or 0) + 1) .. ',0,' .. (tonumber(r[5]) or 0) .. ',0'
local fields = {'t', id, 'p', r[2]}
if r[3] then fields[#fields + 1] = 'o'; fields[#fields + 1] = r[3] end
fields[#fields + 1] = 'a'; fields[#fields + 1] = a
local eid = redis.call('XADD', stream, '*', unpack(fields))
redis.call('HSET', index, id, 'q' .. a .. ',' .. eid)
redis.call('ZREM', dead, id)
redis.call('HDEL', record, 'why', 'ft')
redis.call('HSET', record, 'st', 'queued', 'att', 0, 'flt', 0)
redis.call('PERSIST', record)
if countOk then redis.call('HINCRBY', stats, 'replayed', 1) else redis.call('HSET', stats, 'replayed', 1) end
return {OK, eid}
