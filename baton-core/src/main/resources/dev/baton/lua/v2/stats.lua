--[[
stats (layout v2, docs/hot-path-v2.md): the counts of one agent type's queue. Read-only.

Entries are deleted (XDEL) with their XACK, so the stream holds only entries waiting or running.
An entry is running when it is pending under a worker's consumer, and waiting when it is not
pending or pending under a reserved consumer ('~released', '~recovered', '~suspect': given back
or taken over, waiting to be claimed ahead of new entries).

KEYS[1] stream   P:{Q}:stream   STREAM
KEYS[2] delayed  P:{Q}:delayed  ZSET
KEYS[3] dead     P:{Q}:dead     ZSET
KEYS[4] stats    P:{Q}:stats    HASH
KEYS[5] parked   P:{Q}:parked   ZSET

ARGV[1] consumer group

Returns {streamLength, pendingUnderWorkers, pendingUnderReservedConsumers, delayed, dead, parked,
counterName, counterValue, ...}: waiting = streamLength - pendingUnderWorkers, running =
pendingUnderWorkers.

A key of the wrong type fails the read with 'WRONGTYPE stats.lua: key <key> holds a <type>, not a
<type>; nothing was written' (nothing is ever written).
]]
local stream, delayed, dead, stats, parked = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group = ARGV[1]

local SCRIPT = 'stats.lua'
--@include v2

local len, workers, reserved = 0, 0, 0
local st = redis.call('TYPE', stream).ok
if st == 'stream' then
  len = redis.call('XLEN', stream)
  -- a stream without the group (created outside Baton) has nothing pending
  local summary = redis.pcall('XPENDING', stream, group)
  if type(summary) == 'table' and not summary.err and type(summary[4]) == 'table' then
    for _, c in ipairs(summary[4]) do
      local n = tonumber(c[2]) or 0
      if string.sub(c[1], 1, 1) == '~' then reserved = reserved + n else workers = workers + n end
    end
  end
elseif st ~= 'none' then
  wrongType(stream, 'stream')
end
local out = {len, workers, reserved,
  checked(redis.pcall('ZCARD', delayed), delayed, 'zset'),
  checked(redis.pcall('ZCARD', dead), dead, 'zset'),
  checked(redis.pcall('ZCARD', parked), parked, 'zset')}
local counters = checked(redis.pcall('HGETALL', stats), stats, 'hash')
for i = 1, #counters do out[6 + i] = counters[i] end
return out
