--[[
renew: extend the leases of tasks this worker is running (the heartbeat).

A lease is the idle time of the task's entry in the group's pending list, a
Redis-side clock: the recoverer takes over entries idle longer than the lease.
Renewing resets the idle time with XCLAIM ... JUSTID, but only after checking,
in this same script, that this worker still owns this attempt: a plain XCLAIM
would take the entry from whoever holds it now.

KEYS[1]   stream  P:{Q}:stream       STREAM
KEYS[1+i] task    P:{Q}:task:<id_i>  HASH

ARGV[1]      consumer group
ARGV[2]      consumer name (this worker)
ARGV[2+2i-1] entry id the worker holds for task i
ARGV[2+2i]   delivery number the worker holds for task i (fencing token)

Returns one status code per task.

Status codes (ScriptStatus):
  OK         1  renewed
  NOT_HELD  -1  lease lost (the task was taken over, finished, released or cancelled: the
                worker must stop it and write nothing)

No half-applied call (a script that fails after a write is not rolled back): every record
(HMGET) and pending entry (XPENDING, which fails on a wrong-typed stream) is read before the
first XCLAIM. No extra command. A key of the wrong type fails the call with 'WRONGTYPE
renew.lua: key <key> holds a <type>, not a <type>; nothing was written'.
]]
local OK, NOT_HELD = 1, -1
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]
local function wrongType(key, want)
  error({err = 'WRONGTYPE renew.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end

-- reads: every record and pending entry, before anything is written
local out, claims = {}, {}
for i = 1, #KEYS - 1 do
  local taskKey = KEYS[1 + i]
  local eid, token = ARGV[2 + 2 * i - 1], ARGV[2 + 2 * i]
  local rec = redis.pcall('HMGET', taskKey, 'st', 'eid', 'dlv', 'own')
  if rec.err then wrongType(taskKey, 'hash') end
  local code = NOT_HELD
  if rec[1] == 'running' and rec[2] == eid and rec[3] == token and rec[4] == consumer then
    local p = redis.pcall('XPENDING', stream, group, eid, eid, 1)
    if p.err then
      if string.find(p.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
      error(p)
    end
    if #p == 1 and p[1][2] == consumer then
      claims[#claims + 1] = eid
      code = OK
    end
  end
  out[i] = code
end
-- writes: the lease of every entry still held (the stream was read above)
for _, eid in ipairs(claims) do
  redis.call('XCLAIM', stream, group, consumer, 0, eid, 'JUSTID')
end
return out
