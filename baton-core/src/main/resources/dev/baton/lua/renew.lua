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
]]
local OK, NOT_HELD = 1, -1
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]
local out = {}
for i = 1, #KEYS - 1 do
  local taskKey = KEYS[1 + i]
  local eid, token = ARGV[2 + 2 * i - 1], ARGV[2 + 2 * i]
  local rec = redis.call('HMGET', taskKey, 'st', 'eid', 'dlv', 'own')
  local code = NOT_HELD
  if rec[1] == 'running' and rec[2] == eid and rec[3] == token and rec[4] == consumer then
    local p = redis.call('XPENDING', stream, group, eid, eid, 1)
    if #p == 1 and p[1][2] == consumer then
      redis.call('XCLAIM', stream, group, consumer, 0, eid, 'JUSTID')
      code = OK
    end
  end
  out[i] = code
end
return out
