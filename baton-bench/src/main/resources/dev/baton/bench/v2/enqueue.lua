--[[
Prototype of the v2 enqueue (docs/hot-path-v2.md), for the layout-v2 bench scenario only: it
measures what the v2 layout costs Redis, it is not the production script (no options, dedup,
delays or type checks beyond the stream's).

KEYS[1]     stream   P:{Q}:stream     STREAM entries {t=<id>, p=<payload>}
KEYS[2]     stats    P:{Q}:stats      HASH
KEYS[1+2j]  index    P:{Q}:ix:<b_j>   HASH  id -> state; <b_j> = first 3 hex digits of SHA-1(id_j)
KEYS[2+2j]  done     P:{Q}:done:<id_j> STRING the finished task

ARGV[1]     consumer group
ARGV[2j]    id of task j
ARGV[2j+1]  payload of task j

Returns one code per task: 1 created, 0 the id exists (unfinished or finished): nothing written.
]]
local stream, stats, group = KEYS[1], KEYS[2], ARGV[1]
local n = (#KEYS - 2) / 2
if redis.call('TYPE', stream).ok == 'none' then
  redis.call('XGROUP', 'CREATE', stream, group, 0, 'MKSTREAM')
end
local out, created = {}, 0
for j = 1, n do
  local index, id = KEYS[1 + 2 * j], ARGV[2 * j]
  if redis.call('HEXISTS', index, id) == 1 or redis.call('EXISTS', KEYS[2 + 2 * j]) == 1 then
    out[j] = 0
  else
    -- the entry id is the task's state while it waits and the token of its first delivery
    redis.call('HSET', index, id, redis.call('XADD', stream, '*', 't', id, 'p', ARGV[2 * j + 1]))
    out[j] = 1
    created = created + 1
  end
end
redis.call('HINCRBY', stats, 'enqueued', created)
return out
