--[[
promote: move due tasks from the delayed set to the stream. Safe with any number
of promoters at once: a member is moved only by the call whose ZREM removed it.

KEYS[1]   delayed  P:{Q}:delayed  ZSET  member id, score due time (ms, server clock)
KEYS[2]   stream   P:{Q}:stream   STREAM
KEYS[2+i] task     P:{Q}:task:<id_i>  HASH

ARGV[i]   task id i (same order as KEYS[2+i])

Returns the number of tasks moved to the stream.

No half-applied call (a script that fails after a write is not rolled back): every member's
score (ZSCORE) and record's state (HGET) is read, and the stream is type-checked once
per call when a task is to be moved, before the first write. A key of the wrong type fails
the call with 'WRONGTYPE promote.lua: key <key> holds a <type>, not a <type>; nothing was
written'.
]]
local delayed, stream = KEYS[1], KEYS[2]
local function wrongType(key, want)
  error({err = 'WRONGTYPE promote.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- reads: every member and record, before anything is written
local plan, seen, moving = {}, {}, false
for i = 1, #ARGV do
  local id, taskKey = ARGV[i], KEYS[2 + i]
  local due = redis.pcall('ZSCORE', delayed, id)
  if type(due) == 'table' and due.err then wrongType(delayed, 'zset') end
  if due and tonumber(due) <= now and not seen[id] then
    seen[id] = true
    local st = redis.pcall('HGET', taskKey, 'st')
    if type(st) == 'table' and st.err then wrongType(taskKey, 'hash') end
    plan[i] = st == 'scheduled' or st == 'retrying'
    if plan[i] then moving = true end
  end
end
if moving then
  local got = redis.call('TYPE', stream).ok
  if got ~= 'stream' and got ~= 'none' then wrongType(stream, 'stream') end
end

-- writes: none of these can fail on a key's type any more
local moved = 0
for i = 1, #ARGV do
  if plan[i] ~= nil then
    local id, taskKey = ARGV[i], KEYS[2 + i]
    redis.call('ZREM', delayed, id)
    if plan[i] then
      local eid = redis.call('XADD', stream, '*', 't', id)
      redis.call('HSET', taskKey, 'st', 'queued', 'eid', eid)
      moved = moved + 1
    end
  end
end
return moved
