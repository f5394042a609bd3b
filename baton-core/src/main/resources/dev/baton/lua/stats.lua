--[[
stats: the counts of one agent type's queue. Read-only.

KEYS[1] stream   P:{Q}:stream   STREAM
KEYS[2] delayed  P:{Q}:delayed  ZSET
KEYS[3] dead     P:{Q}:dead     ZSET
KEYS[4] stats    P:{Q}:stats    HASH
KEYS[5] parked   P:{Q}:parked   ZSET

ARGV[1] consumer group

Returns {streamLength, pending, delayed, dead, parked, counterName, counterValue, ...}.
Finished entries are deleted from the stream, so streamLength - pending is the
number of entries waiting for a worker.
]]
local stream, delayed, dead, stats, parked = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local len, pending = 0, 0
if redis.call('EXISTS', stream) == 1 then
  len = redis.call('XLEN', stream)
  local ok, summary = pcall(redis.call, 'XPENDING', stream, ARGV[1])
  if ok then pending = summary[1] end
end
local out = {len, pending, redis.call('ZCARD', delayed), redis.call('ZCARD', dead), redis.call('ZCARD', parked)}
local counters = redis.call('HGETALL', stats)
for i = 1, #counters do out[5 + i] = counters[i] end
return out
