--[[
purge (layout v2, docs/hot-path-v2.md): delete dead-lettered tasks for good: the dead set's
member, the record and the index field, so the id can be used again.

Only members of the dead set are deleted; any other id is ignored. A member whose index value is
not 'x' (the task lives on under that id: the member was left behind by a write outside Baton)
only loses its member: its record and index field belong to the living task.

KEYS[1]   dead    P:{Q}:dead        ZSET
then two per task i:
KEYS[2i]   record P:{Q}:task:<id_i> HASH (deleted whatever its type)
KEYS[2i+1] index  P:{Q}:ix:<b_i>    HASH

ARGV[i]   task id i

Returns the number of dead-set members deleted.

No half-applied call: every member (ZSCORE, which fails on a wrong-typed dead set) and index
field (HGET, which fails on a wrong-typed bucket) is read before the first write; DEL works on a
key of any type. A key of the wrong type fails the call with 'WRONGTYPE purge.lua: key <key>
holds a <type>, not a <type>; nothing was written'.
]]
local dead = KEYS[1]
local n = #ARGV
if #KEYS ~= 1 + 2 * n then
  return redis.error_reply('ERR purge.lua: ' .. #KEYS .. ' keys and ' .. n .. ' ids do not match')
end
local SCRIPT = 'purge.lua'
--@include v2

-- reads
local plan, seen = {}, {}
for i = 1, n do
  local id, index = ARGV[i], KEYS[1 + 2 * i]
  if not seen[id] and checked(redis.pcall('ZSCORE', dead, id), dead, 'zset') then
    seen[id] = true
    local v = checked(redis.pcall('HGET', index, id), index, 'hash')
    plan[i] = v == false or v == 'x'
  end
end

-- writes: none of these can fail on a key's type any more
local deleted = 0
for i = 1, n do
  if plan[i] ~= nil then
    local id = ARGV[i]
    redis.call('ZREM', dead, id)
    if plan[i] then
      redis.call('DEL', KEYS[2 * i])
      redis.call('HDEL', KEYS[1 + 2 * i], id)
    end
    deleted = deleted + 1
  end
end
return deleted
