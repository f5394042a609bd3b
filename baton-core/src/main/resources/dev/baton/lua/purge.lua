--[[
purge: delete dead-lettered tasks for good.

KEYS[1]   dead  P:{Q}:dead  ZSET
KEYS[1+i] task  P:{Q}:task:<id_i>  HASH

ARGV[i]   task id i

Only members of the dead set are deleted; any other id is ignored.
Returns the number of tasks deleted.
]]
local dead = KEYS[1]
local n = 0
for i = 1, #ARGV do
  if redis.call('ZREM', dead, ARGV[i]) == 1 then
    redis.call('DEL', KEYS[1 + i])
    n = n + 1
  end
end
return n
