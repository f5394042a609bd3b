--[[
release (layout v2, docs/hot-path-v2.md): give back deliveries this worker holds but will not
finish (it is stopping, a start came too late in its lease, the worker itself is at fault), at
once and uncounted: each entry stays where it is in the stream and moves to the pending list of
the reserved consumer '~released', from which the next cycle of any worker claims it ahead of new
entries. Fenced on the worker's token; the index gets the next token, so the releasing worker can
write nothing more for it.

KEYS[1]   stream  P:{Q}:stream   STREAM
then one per task i:
KEYS[1+i] index   P:{Q}:ix:<b_i> HASH  id -> state

ARGV[1]   consumer group
ARGV[2]   most uncounted releases for a worker fault a task may have (the fault cap)
then three per task i (base a = 2 + 3(i-1)):
ARGV[a+1] task id
ARGV[a+2] token the worker holds
ARGV[a+3] why: 'r' a plain release, 'f' a worker fault (counted in flt, capped)

Returns one status per task.

Status codes (ScriptStatus):
  OK          1  released
  NOT_HELD   -1  fence rejected: nothing written for it
  UNCHANGED   0  a worker fault past the cap: not released, nothing written; the worker charges
                 the attempt instead (fail.lua), so a task that breaks every worker cannot
                 circulate forever

No half-applied call (a script that fails after a write is not rolled back): every index field
is read (HGET, which fails on a wrong-typed bucket) before the first write; the stream is
type-checked once. A key of the wrong type fails the call with 'WRONGTYPE release.lua: key <key>
holds a <type>, not a <type>; nothing was written'.
]]
local OK, NOT_HELD, UNCHANGED = 1, -1, 0
local stream, group, cap = KEYS[1], ARGV[1], tonumber(ARGV[2])
local n = #KEYS - 1
if not cap or #ARGV ~= 2 + 3 * n then
  return redis.error_reply('ERR release.lua: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole tasks')
end
local SCRIPT = 'release.lua'
--@include v2
local st = redis.call('TYPE', stream).ok
if st ~= 'stream' and st ~= 'none' then wrongType(stream, 'stream') end

-- reads: every fence, before anything is written
local out, plan, seen = {}, {}, {}
for i = 1, n do
  local index, a = KEYS[1 + i], 2 + 3 * (i - 1)
  local id, token, why = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local v = redis.pcall('HGET', index, id)
  if type(v) == 'table' and v.err then wrongType(index, 'hash') end
  out[i] = NOT_HELD
  if v == token and not seen[id] then
    local dn, att, nol, flt, eid = countsOf(token)
    if why == 'f' then flt = flt + 1 end
    if why == 'f' and flt > cap then
      out[i] = UNCHANGED
    else
      seen[id] = true
      plan[i] = {index, id, eid, 'q' .. (dn + 1) .. ',' .. att .. ',' .. nol .. ',' .. flt .. ',' .. eid}
      out[i] = OK
    end
  end
end

-- writes
for i = 1, n do
  local p = plan[i]
  if p then
    redis.call('XCLAIM', stream, group, '~released', 0, p[3], 'JUSTID')
    redis.call('HSET', p[1], p[2], p[4])
  end
end
return out
