--[[
prune-consumers: delete consumers of the group that hold nothing and have been
idle a long time (workers that are gone), so the group does not grow forever.
A consumer is deleted only when it has no pending entry, checked in this same
script: XGROUP DELCONSUMER would discard its pending entries, losing tasks.

KEYS[1] stream  P:{Q}:stream  STREAM

ARGV[1] consumer group
ARGV[2] minimum idle time, ms
ARGV[3] the calling worker's consumer name (never deleted)

Returns the number of consumers deleted.
]]
local stream = KEYS[1]
local group, minIdle, self = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if redis.call('EXISTS', stream) == 0 then return 0 end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', stream, group)
if not ok then return 0 end
local deleted = 0
for i = 1, #consumers do
  local c = {}
  local fields = consumers[i]
  for j = 1, #fields, 2 do c[fields[j]] = fields[j + 1] end
  if c['name'] ~= self and tonumber(c['pending']) == 0 and tonumber(c['idle']) >= minIdle then
    redis.call('XGROUP', 'DELCONSUMER', stream, group, c['name'])
    deleted = deleted + 1
  end
end
return deleted
