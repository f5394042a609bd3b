--[[
release: give back tasks this worker started but will not finish (it is
stopping, or the start's reply came back so late that the lease is all but
over), at once, instead of letting their leases run out. Fenced: only an
attempt this worker still holds is released. The attempt is not counted.

KEYS[1]   stream  P:{Q}:stream       STREAM
KEYS[1+i] task    P:{Q}:task:<id_i>  HASH

ARGV[1]      consumer group
ARGV[2]      consumer name (this worker)
ARGV[2+2i-1] entry id the worker holds for task i
ARGV[2+2i]   delivery number the worker holds for task i

Returns the ids of the tasks put back on the stream (an array; its length is the count).

No half-applied call (a script that fails after a write is not rolled back): every record is
read (HMGET) before the first write, which is an XACK (a wrong-typed stream fails it, before
anything else is written). No extra command. A key of the wrong type fails the call with
'WRONGTYPE release.lua: key <key> holds a <type>, not a <type>; nothing was written'.
]]
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]
local function wrongType(key, want)
  error({err = 'WRONGTYPE release.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end

-- reads: every record, before anything is written
local recs = {}
for i = 1, #KEYS - 1 do
  local taskKey = KEYS[1 + i]
  local eid, token = ARGV[2 + 2 * i - 1], ARGV[2 + 2 * i]
  local rec = redis.pcall('HMGET', taskKey, 'st', 'eid', 'dlv', 'own', 'att', 'id')
  if rec.err then wrongType(taskKey, 'hash') end
  if rec[1] == 'running' and rec[2] == eid and rec[3] == token and rec[4] == consumer and not recs[taskKey] then
    recs[i] = rec
    recs[taskKey] = true
  end
end

-- writes. The first is an XACK: a stream of the wrong type fails there, before anything else.
local released = {}
for i = 1, #KEYS - 1 do
  local rec = recs[i]
  if rec then
    local taskKey, eid = KEYS[1 + i], ARGV[2 + 2 * i - 1]
    local acked = redis.pcall('XACK', stream, group, eid)
    if type(acked) == 'table' and acked.err then
      if string.find(acked.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
      error(acked)
    end
    redis.call('XDEL', stream, eid)
    local newEid = redis.call('XADD', stream, '*', 't', rec[6])
    redis.call('HSET', taskKey, 'st', 'queued', 'eid', newEid, 'att', math.max(0, (tonumber(rec[5]) or 1) - 1))
    redis.call('HDEL', taskKey, 'own')
    released[#released + 1] = rec[6]
  end
end
return released
