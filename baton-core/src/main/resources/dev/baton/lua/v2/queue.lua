--[[
queue (layout v2, docs/hot-path-v2.md): make sure a queue exists in layout 2 before a worker
reads it: a missing stream is created with the consumer group (at id 0) and the layout marker;
an existing one must carry the marker.

KEYS[1] stream  P:{Q}:stream  STREAM
KEYS[2] layout  P:{Q}:layout  STRING '2'

ARGV[1] consumer group

Returns 1 when the queue was created here, 0 when it existed. A stream without the marker
(written by a Baton before layout 2) fails the call with 'ERR queue.lua: LAYOUT ...', nothing
written; a key of the wrong type with 'WRONGTYPE queue.lua: ...', nothing written.
]]
local stream, layout, group = KEYS[1], KEYS[2], ARGV[1]
local st = redis.call('TYPE', stream).ok
local lt = redis.call('TYPE', layout).ok
if (st ~= 'stream' and st ~= 'none') or (lt ~= 'string' and lt ~= 'none') then
  local key = (st ~= 'stream' and st ~= 'none') and stream or layout
  return redis.error_reply('WRONGTYPE queue.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. (key == stream and 'stream' or 'string') .. '; nothing was written')
end
if st == 'none' then
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  redis.call('SET', layout, '2')
  return 1
end
local marker = redis.call('GET', layout)
if marker ~= '2' then
  return redis.error_reply('ERR queue.lua: LAYOUT the queue holds data in layout '
    .. (marker and string.sub(marker, 1, 8) or '1') .. ', not 2: drain it with the Baton that wrote it')
end
local groups = redis.call('XINFO', 'GROUPS', stream)
for _, g in ipairs(groups) do
  for i = 1, #g, 2 do
    if g[i] == 'name' and g[i + 1] == group then return 0 end
  end
end
redis.call('XGROUP', 'CREATE', stream, group, '0')
return 0
