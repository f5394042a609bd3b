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
]]
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]
local released = {}
for i = 1, #KEYS - 1 do
  local taskKey = KEYS[1 + i]
  local eid, token = ARGV[2 + 2 * i - 1], ARGV[2 + 2 * i]
  local rec = redis.call('HMGET', taskKey, 'st', 'eid', 'dlv', 'own', 'att', 'id')
  if rec[1] == 'running' and rec[2] == eid and rec[3] == token and rec[4] == consumer then
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
    local newEid = redis.call('XADD', stream, '*', 't', rec[6])
    redis.call('HSET', taskKey, 'st', 'queued', 'eid', newEid, 'att', math.max(0, (tonumber(rec[5]) or 1) - 1))
    redis.call('HDEL', taskKey, 'own')
    released[#released + 1] = rec[6]
  end
end
return released
