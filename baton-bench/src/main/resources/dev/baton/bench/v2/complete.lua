--[[
Prototype of the v2 record of successes (docs/hot-path-v2.md), for the layout-v2 bench scenario
only: first deliveries, whose token is their entry id.

KEYS[1]     stream   P:{Q}:stream      STREAM
KEYS[2]     stats    P:{Q}:stats       HASH
KEYS[1+2i]  index    P:{Q}:ix:<b_i>    HASH
KEYS[2+2i]  done     P:{Q}:done:<id_i> STRING

ARGV[1]     consumer group
ARGV[2]     retention, ms
then three per task i (base b = 2 + 3(i-1)):
ARGV[b+1]   id of task i
ARGV[b+2]   its token (the index value the worker saw: for a first delivery, its entry id)
ARGV[b+3]   the finished value, built by the worker: 's,<finished ms>,<attempt>,<worker>|<result>'

Returns one code per task: 1 recorded, -1 fence rejected (nothing written for it).
]]
local stream, stats, group, retention = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local n = (#KEYS - 2) / 2
local acks, held, out = {}, {}, {}
for i = 1, n do
  local b = 2 + 3 * (i - 1)
  if redis.call('HGET', KEYS[1 + 2 * i], ARGV[b + 1]) == ARGV[b + 2] then
    acks[#acks + 1] = ARGV[b + 2]
    held[#held + 1] = i
    out[i] = 1
  else
    out[i] = -1
  end
end
if #acks > 0 then
  redis.call('XACK', stream, group, unpack(acks))
  redis.call('XDEL', stream, unpack(acks))
  for _, i in ipairs(held) do
    local b = 2 + 3 * (i - 1)
    redis.call('HDEL', KEYS[1 + 2 * i], ARGV[b + 1])
    redis.call('SET', KEYS[2 + 2 * i], ARGV[b + 3], 'PX', retention)
  end
  redis.call('HINCRBY', stats, 'succeeded', #acks)
end
return out
