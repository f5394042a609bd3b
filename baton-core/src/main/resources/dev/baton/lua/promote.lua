--[[
promote: move due tasks from the delayed set to the stream. Safe with any number
of promoters at once: a member is moved only by the call whose ZREM removed it.

KEYS[1]   delayed  P:{Q}:delayed  ZSET  member id, score due time (ms, server clock)
KEYS[2]   stream   P:{Q}:stream   STREAM
KEYS[2+i] task     P:{Q}:task:<id_i>  HASH

ARGV[i]   task id i (same order as KEYS[2+i])

Returns the number of tasks moved to the stream.
]]
local delayed, stream = KEYS[1], KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local moved = 0
for i = 1, #ARGV do
  local id, taskKey = ARGV[i], KEYS[2 + i]
  local due = redis.call('ZSCORE', delayed, id)
  if due and tonumber(due) <= now then
    redis.call('ZREM', delayed, id)
    local st = redis.call('HGET', taskKey, 'st')
    if st == 'scheduled' or st == 'retrying' then
      local eid = redis.call('XADD', stream, '*', 't', id)
      redis.call('HSET', taskKey, 'st', 'queued', 'eid', eid)
      moved = moved + 1
    end
  end
end
return moved
