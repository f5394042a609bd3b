--[[
complete: record the successful attempts of a batch of tasks of one agent type, each fenced on
its own, together with their XACK.

A worker collects the successes its handlers report while the previous call is in flight and
sends them in one call (group commit). Each task is checked and written independently: a task
whose fence fails is left untouched while the others of the batch are recorded.

KEYS[1]   stream  P:{Q}:stream       STREAM
KEYS[2]   stats   P:{Q}:stats        HASH
KEYS[2+i] task    P:{Q}:task:<id_i>  HASH, one per task

ARGV[1] consumer group
ARGV[2] retention of the finished record, ms
ARGV[3] channel for terminal events
then four per task i (base b = 3 + 4(i-1)):
ARGV[b+1] entry id the worker holds
ARGV[b+2] delivery number the worker holds (fencing token)
ARGV[b+3] result (JSON text)
ARGV[b+4] attempt record (JSON object text) appended to the history

The record keeps own (the worker whose attempt succeeded): deleting it would cost one more command
per task on the hot path, and nothing reads own once the task is finished.

Returns one element per task, in order: {OK} recorded; {OK, 'succeeded', error} recorded, but
the PUBLISH was refused (written, not notified); {NOT_HELD, state} fence rejected (the worker
no longer owns this attempt: nothing written for it); {NOT_FOUND} the record is gone.
Publishes once on the channel: the ids of the recorded tasks, separated by single spaces.

No half-applied call (a script that fails after a write is not rolled back): every task's
record is read first (HMGET, which fails on a key of the wrong type before any write), then,
when anything is to be recorded, stats is type-checked (one TYPE per call, not per task), and
the first write is the XACK (a wrong-typed stream fails it, before anything else is
written). A key of the wrong type fails the call with 'WRONGTYPE complete.lua: key <key>
holds a <type>, not a <type>; nothing was written'. The PUBLISH comes last, through
redis.pcall: an ACL that denies the channel leaves the records whole, and the reply says they
were not notified, instead of the call failing after the writes (whose retry would then be
refused as NOT_HELD).
The succeeded counter is incremented through redis.pcall (count, below): a value that is not an
integer is reset instead of failing the call after its writes, still with one TYPE per call and no
extra command per task (data-model.md, "No script fails half-applied", rule 4).

Status codes (ScriptStatus):
  OK          1  recorded
  NOT_HELD   -1  fence rejected: nothing written for this task (its state is returned)
  NOT_FOUND  -2  the task record is gone
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local stream, stats = KEYS[1], KEYS[2]
local group, retention, channel = ARGV[1], ARGV[2], ARGV[3]
local n = #KEYS - 2
if #ARGV ~= 3 + 4 * n then
  return redis.error_reply('ERR complete: expected ' .. (3 + 4 * n) .. ' arguments, got ' .. #ARGV)
end
if not tonumber(retention) then
  return redis.error_reply('ERR complete: the retention must be an integer') -- PEXPIRE would fail after writes
end

local function wrongType(key, want)
  error({err = 'WRONGTYPE complete.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- reads: every record, before anything is written
local out, acked, done, recs, seen = {}, {}, {}, {}, {}
for i = 1, n do
  local taskKey, b = KEYS[2 + i], 3 + 4 * (i - 1)
  local eid, token = ARGV[b + 1], ARGV[b + 2]
  local cur = redis.pcall('HMGET', taskKey, 'st', 'eid', 'dlv', 'hist', 'id')
  if cur.err then wrongType(taskKey, 'hash') end
  if seen[taskKey] then
    -- the same task twice in one call: the second sees what the first will have written
    out[i] = {NOT_HELD, 'succeeded'}
  elseif not cur[1] then
    out[i] = {NOT_FOUND}
  elseif cur[1] ~= 'running' or cur[2] ~= eid or cur[3] ~= token then
    out[i] = {NOT_HELD, cur[1]}
  else
    recs[i] = cur
    seen[taskKey] = true
    acked[#acked + 1] = eid
    done[#done + 1] = cur[5]
    out[i] = {OK}
  end
end
if #acked == 0 then return out end
local statsType = redis.call('TYPE', stats).ok
if statsType ~= 'hash' and statsType ~= 'none' then wrongType(stats, 'hash') end

-- writes. The first is the XACK: a stream of the wrong type fails here, before anything else.
local ack = redis.pcall('XACK', stream, group, unpack(acked))
if type(ack) == 'table' and ack.err then
  if string.find(ack.err, 'WRONGTYPE', 1, true) then wrongType(stream, 'stream') end
  error(ack)
end
redis.call('XDEL', stream, unpack(acked))
for i = 1, n do
  local cur = recs[i]
  if cur then
    local taskKey, record = KEYS[2 + i], ARGV[3 + 4 * (i - 1) + 4]
    local hist = cur[4]
    if hist then hist = string.sub(hist, 1, -2) .. ',' .. record .. ']' else hist = '[' .. record .. ']' end
    redis.call('HSET', taskKey, 'st', 'succeeded', 'r', ARGV[3 + 4 * (i - 1) + 3], 'ft', now, 'hist', hist)
    redis.call('PEXPIRE', taskKey, retention)
  end
end
count(stats, 'succeeded', #acked)
-- last, and through pcall: a refused PUBLISH leaves the records whole and is reported
local published = redis.pcall('PUBLISH', channel, table.concat(done, ' '))
if type(published) == 'table' and published.err then
  for i = 1, n do
    if recs[i] then out[i] = {OK, 'succeeded', published.err} end
  end
end
return reply(out)
