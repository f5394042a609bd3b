--[[
dead-entry: dead-letter a stream entry that cannot be read as a task (no or an
invalid task id field), keeping its raw fields in a tombstone record.

KEYS[1] stream  P:{Q}:stream                 STREAM
KEYS[2] dead    P:{Q}:dead                   ZSET
KEYS[3] task    P:{Q}:task:entry-<entryId>   HASH  the tombstone
KEYS[4] stats   P:{Q}:stats                  HASH

ARGV[1] consumer group
ARGV[2] entry id
ARGV[3] tombstone id ('entry-<entryId>')
ARGV[4] reason, plain text
ARGV[5] the entry's raw fields (JSON object text, built by the client)

Returns {status code}.

Status codes (ScriptStatus):
  OK       1  the tombstone was written
  EXISTS   0  the tombstone existed already (the entry is acknowledged and deleted all the same)

No half-applied call (a script that fails after a write is not rolled back): dead and stats
are type-checked, and the tombstone's key looked up (EXISTS), before the first write, which
is the XACK (a wrong-typed stream fails it, before anything else is written). A key of the
wrong type fails the call with 'WRONGTYPE dead-entry.lua: key <key> holds a <type>, not a
<type>; nothing was written'.
]]
local OK, EXISTS = 1, 0
local stream, dead, taskKey, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, eid, id, reason, raw = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local function wrongType(key, want)
  error({err = 'WRONGTYPE dead-entry.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

expect(dead, 'zset'); expect(stats, 'hash')
local exists = redis.call('EXISTS', taskKey) == 1
-- the first write: a stream of the wrong type fails here, before anything is written
local acked = redis.pcall('XACK', stream, group, eid)
if type(acked) == 'table' and acked.err then
  if string.find(acked.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
  error(acked)
end
redis.call('XDEL', stream, eid)
if exists then return {EXISTS} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', taskKey, 'id', id, 'q', '', 'st', 'dead', 'att', 0, 'dlv', 1, 'max', 0,
  'ct', now, 'ft', now, 'eid', eid, 'why', reason, 'raw', raw)
redis.call('ZADD', dead, now, id)
count(stats, 'dead', 1)
return reply({OK})
