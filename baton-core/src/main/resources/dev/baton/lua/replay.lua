--[[
replay: put a dead-lettered task back on its stream with a fresh attempt budget.
Its history is kept.

KEYS[1] task    P:{Q}:task:<id>  HASH
KEYS[2] stream  P:{Q}:stream     STREAM
KEYS[3] dead    P:{Q}:dead       ZSET
KEYS[4] stats   P:{Q}:stats      HASH

ARGV[1] consumer group
ARGV[2] task id

Returns {OK, entryId} replayed; {WRONG_STATE, state} not dead; {NOT_FOUND};
{TOMBSTONE} a tombstone without a payload (cannot run again; purge it instead).

Status codes (ScriptStatus):
  OK            1  replayed
  WRONG_STATE   0  not dead (its state is returned): nothing written
  NOT_FOUND    -2  no such task
  TOMBSTONE    -3  a tombstone without a payload: nothing written

No half-applied call (a script that fails after a write is not rolled back): the record is
read (HMGET), the stream's type is read (TYPE, in place of the EXISTS that decides whether
to create the group) and dead and stats are type-checked before the first write. A key of
the wrong type fails the call with 'WRONGTYPE replay.lua: key <key> holds a <type>, not a
<type>; nothing was written'.
]]
local OK, WRONG_STATE, NOT_FOUND, TOMBSTONE = 1, 0, -2, -3
local taskKey, stream, dead, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, id = ARGV[1], ARGV[2]

local function wrongType(key, want)
  error({err = 'WRONGTYPE replay.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

local cur = redis.pcall('HMGET', taskKey, 'st', 'p')
if cur.err then wrongType(taskKey, 'hash') end
if not cur[1] then return {NOT_FOUND} end
if cur[1] ~= 'dead' then return {WRONG_STATE, cur[1]} end
if not cur[2] then return {TOMBSTONE} end
local streamType = redis.call('TYPE', stream).ok
if streamType ~= 'stream' and streamType ~= 'none' then wrongType(stream, 'stream') end
expect(dead, 'zset'); expect(stats, 'hash')

-- writes: none of these can fail on a key's type any more
if streamType == 'none' then
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
end
redis.call('ZREM', dead, id)
local eid = redis.call('XADD', stream, '*', 't', id)
redis.call('HDEL', taskKey, 'ft', 'why', 'r', 'own', 'flt')
redis.call('HSET', taskKey, 'st', 'queued', 'eid', eid, 'att', 0)
redis.call('PERSIST', taskKey)
count(stats, 'replayed', 1)
return reply({OK, eid})
