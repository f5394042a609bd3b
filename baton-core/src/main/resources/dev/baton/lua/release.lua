--[[
release: give back tasks this worker started but will not finish (it is
stopping, or the start's reply came back so late that the lease is all but
over), or whose handler reported a worker fault (WorkerFaultException: the worker, not the task,
is broken), at once, instead of letting their leases run out. Fenced: only an attempt this worker
still holds is released. The attempt is not counted.

Worker faults are capped per task, so that a task that breaks every worker it reaches cannot
circulate uncounted forever: the record's flt counts the releases for a worker fault. A fault
release of a task whose flt already reached the cap (ARGV[3]) releases nothing: the task is left
running and held, and returned as charged, so that the worker records the fault as a failed
attempt through fail.lua (retry after backoff, or dead letter) with the retry policy and the
attempt record only Java has. Nothing is lost between the two calls: the attempt stays held and
fenced, and if the worker dies meanwhile the recoverer takes it over as usual. A flt that is not an
integer (written outside Baton) reads as 0 and is overwritten by the release.

KEYS[1]   stream  P:{Q}:stream       STREAM
KEYS[1+i] task    P:{Q}:task:<id_i>  HASH

ARGV[1]      consumer group
ARGV[2]      consumer name (this worker)
ARGV[3]      worker-fault cap: -1 for a release that is not for a worker fault (stopping, late
             start: flt is not touched); otherwise the releases for a worker fault a task may have
             (flt) before a fault is charged as a failed attempt instead (0: always charged)
ARGV[3+2i-1] entry id the worker holds for task i
ARGV[3+2i]   delivery number the worker holds for task i

Returns {released, charged}: the ids of the tasks put back on the stream (flt + 1 for a fault
release), and the ids of the tasks left held because their flt reached the cap.

No half-applied call (a script that fails after a write is not rolled back): every record is
read (HMGET, flt included) before the first write, which is an XACK (a wrong-typed stream fails
it, before anything else is written); flt is set in the HSET the release makes anyway. No extra
command. A key of the wrong type fails the call with
'WRONGTYPE release.lua: key <key> holds a <type>, not a <type>; nothing was written'.
]]
local stream = KEYS[1]
local group, consumer, faultCap = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function wrongType(key, want)
  error({err = 'WRONGTYPE release.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end

-- reads: every record, before anything is written
local recs, charged = {}, {}
for i = 1, #KEYS - 1 do
  local taskKey = KEYS[1 + i]
  local eid, token = ARGV[3 + 2 * i - 1], ARGV[3 + 2 * i]
  local rec = redis.pcall('HMGET', taskKey, 'st', 'eid', 'dlv', 'own', 'att', 'id', 'flt')
  if rec.err then wrongType(taskKey, 'hash') end
  if rec[1] == 'running' and rec[2] == eid and rec[3] == token and rec[4] == consumer and not recs[taskKey] then
    recs[taskKey] = true
    local flt = rec[7] and string.match(rec[7], '^%d+$') and string.len(rec[7]) <= 9 and tonumber(rec[7]) or 0
    if faultCap >= 0 and flt >= faultCap then
      charged[#charged + 1] = rec[6]
    else
      rec[7] = flt
      recs[i] = rec
    end
  end
end

-- writes. The first is an XACK: a stream of the wrong type fails there, before anything else.
local released = {}
for i = 1, #KEYS - 1 do
  local rec = recs[i]
  if rec then
    local taskKey, eid = KEYS[1 + i], ARGV[3 + 2 * i - 1]
    local acked = redis.pcall('XACK', stream, group, eid)
    if type(acked) == 'table' and acked.err then
      if string.find(acked.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
      error(acked)
    end
    redis.call('XDEL', stream, eid)
    local newEid = redis.call('XADD', stream, '*', 't', rec[6])
    local att = math.max(0, (tonumber(rec[5]) or 1) - 1)
    if faultCap >= 0 then
      redis.call('HSET', taskKey, 'st', 'queued', 'eid', newEid, 'att', att, 'flt', rec[7] + 1)
    else
      redis.call('HSET', taskKey, 'st', 'queued', 'eid', newEid, 'att', att)
    end
    redis.call('HDEL', taskKey, 'own')
    released[#released + 1] = rec[6]
  end
end
return {released, charged}
