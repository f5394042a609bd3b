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

Returns a status code.

Status codes (ScriptStatus):
  OK       1  the tombstone was written
  EXISTS   0  the tombstone existed already (the entry is acknowledged and deleted all the same)
]]
local OK, EXISTS = 1, 0
local stream, dead, taskKey, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, eid, id, reason, raw = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
redis.call('XACK', stream, group, eid)
redis.call('XDEL', stream, eid)
if redis.call('EXISTS', taskKey) == 1 then return EXISTS end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', taskKey, 'id', id, 'q', '', 'st', 'dead', 'att', 0, 'dlv', 1, 'max', 0,
  'ct', now, 'ft', now, 'eid', eid, 'why', reason, 'raw', raw)
redis.call('ZADD', dead, now, id)
redis.call('HINCRBY', stats, 'dead', 1)
return OK
