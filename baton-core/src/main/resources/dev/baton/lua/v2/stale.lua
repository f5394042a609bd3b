--[[
stale (layout v2, docs/hot-path-v2.md): list pending entries whose lease expired (idle longer
than the lease, measured by Redis) under a worker's consumer. Entries waiting under the reserved
consumers ('~released', '~recovered', '~suspect') hold no lease and are not listed. Read-only;
recover.lua re-checks every entry it is given.

KEYS[1] stream  P:{Q}:stream  STREAM

ARGV[1] consumer group
ARGV[2] lease, ms
ARGV[3] at most this many entries

Returns a flat list of {entryId, taskId} pairs: taskId is '' when the entry was deleted from the
stream while pending (trimmed) or has no task id field.
]]
local stream = KEYS[1]
local group, lease, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('EXISTS', stream) == 0 then return {} end
local out = {}
local from = '-'
-- reserved consumers' entries are skipped, so read past them in pages, a bounded number of times
for _ = 1, 10 do
  local pending = redis.call('XPENDING', stream, group, 'IDLE', lease, from, '+', count)
  for i = 1, #pending do
    local eid, owner = pending[i][1], pending[i][2]
    if string.sub(owner, 1, 1) ~= '~' then
      local entry = redis.call('XRANGE', stream, eid, eid)
      local id = ''
      if #entry == 1 then
        local fields = entry[1][2]
        for j = 1, #fields, 2 do
          if fields[j] == 't' then id = fields[j + 1] end
        end
      end
      out[#out + 1] = eid
      out[#out + 1] = id
      if #out >= 2 * count then return out end
    end
  end
  if #pending < count then break end
  from = '(' .. pending[#pending][1]
end
return out
