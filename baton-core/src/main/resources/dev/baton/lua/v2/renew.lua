--[[
renew (layout v2, docs/hot-path-v2.md): extend the leases of deliveries this worker holds (the
heartbeat; buffered entries not yet started count too). A lease is the idle time of the entry in
the group's pending list, a Redis-side clock: the recoverer takes over entries idle longer than
the lease. Renewing resets the idle time with XCLAIM ... JUSTID, but only after checking, in this
same script, that the worker's token is still the task's index value and that the pending entry
is still the worker's: a plain XCLAIM would take the entry from whoever holds it now.

KEYS[1]   stream  P:{Q}:stream   STREAM
then one per task i:
KEYS[1+i] index   P:{Q}:ix:<b_i> HASH

ARGV[1]   consumer group
ARGV[2]   consumer name (this worker)
then two per task i (base a = 2 + 2(i-1)):
ARGV[a+1] task id
ARGV[a+2] token the worker holds

Returns one status per task.

Status codes (ScriptStatus):
  OK         1  renewed
  NOT_HELD  -1  lease lost (released, taken over, finished or cancelled: the worker must stop the
                task and write nothing)

No half-applied call: every index field (HGET) and pending entry (XPENDING, which fails on a
wrong-typed stream) is read before the first XCLAIM. A key of the wrong type fails the call with
'WRONGTYPE renew.lua: key <key> holds a <type>, not a <type>; nothing was written'.
]]
local OK, NOT_HELD = 1, -1
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local n = #KEYS - 1
if #ARGV ~= 2 + 2 * n then
  return redis.error_reply('ERR renew.lua: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole tasks')
end
local SCRIPT = 'renew.lua'
--@include v2

local out, claims = {}, {}
for i = 1, n do
  local index, a = KEYS[1 + i], 2 + 2 * (i - 1)
  local id, token = ARGV[a + 1], ARGV[a + 2]
  local v = redis.pcall('HGET', index, id)
  if type(v) == 'table' and v.err then wrongType(index, 'hash') end
  out[i] = NOT_HELD
  if v == token then
    local eid = select(5, countsOf(token))
    local p = redis.pcall('XPENDING', stream, group, eid, eid, 1)
    if type(p) == 'table' and p.err then
      if string.find(p.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
      error(p)
    end
    if #p == 1 and p[1][2] == consumer then
      claims[#claims + 1] = eid
      out[i] = OK
    end
  end
end
for _, eid in ipairs(claims) do
  redis.call('XCLAIM', stream, group, consumer, 0, eid, 'JUSTID')
end
return out
