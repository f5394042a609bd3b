--[[
purge: delete dead-lettered tasks for good.

KEYS[1]   dead  P:{Q}:dead  ZSET
KEYS[1+i] task  P:{Q}:task:<id_i>  HASH

ARGV[i]   task id i

Only members of the dead set are deleted; any other id is ignored.
Returns the number of tasks deleted.

No half-applied call: the first write is a ZREM of the dead set, which fails on a wrong-typed
dead set before anything is written (reported as 'WRONGTYPE purge.lua: key <key> holds a
<type>, not a zset; nothing was written'); DEL works on a key of any type. No extra command.
]]
local dead = KEYS[1]
local n = 0
for i = 1, #ARGV do
  local removed = redis.pcall('ZREM', dead, ARGV[i])
  if type(removed) == 'table' and removed.err then
    -- only the first ZREM can fail (the dead set's type does not change here): nothing written yet
    error({err = 'WRONGTYPE purge.lua: key ' .. (string.gsub(dead, '[^%w%p ]', '?')) .. ' holds a '
      .. redis.call('TYPE', dead).ok .. ', not a zset; nothing was written'})
  end
  if removed == 1 then
    redis.call('DEL', KEYS[1 + i])
    n = n + 1
  end
end
return n
