--[[
start: mark a batch of freshly delivered stream entries as running.

Called right after XREADGROUP with the entries this consumer received. Each
task's delivery counter is the fencing token every later write must present.

KEYS[1]   stream   P:{Q}:stream   STREAM
KEYS[2]   dead     P:{Q}:dead     ZSET  member id, score dead-lettered at (ms)
KEYS[3]   stats    P:{Q}:stats    HASH
KEYS[3+i] task     P:{Q}:task:<id_i>  HASH, one per entry

ARGV[1]     consumer group
ARGV[2]     consumer name (this worker)
ARGV[3]     channel for terminal events (PUBLISH, message = id)
ARGV[3+2i-1] entry id of entry i
ARGV[3+2i]   task id of entry i

Returns one element per entry:
  {OK, values}  started: the values a worker needs, after the update, by position (nil where the
               record has no such field): st eid id att max dlv own q p to h bo p2 p3 p4 p5 p6 p7 p8
               (1-based positions 1..19; st is 'running', own this consumer; the payload is p
               followed by p2, p3, ... as long as they are present, see enqueue.lua). By position
               rather than as field/value pairs because building a second list costs Redis CPU on
               the hot path; TaskScripts.STARTED_FIELDS mirrors this order.
  {SKIPPED, reason}        skipped and acknowledged (finished, cancelled, stale entry)
  {DEAD_LETTERED, reason}  dead-lettered here (record missing or malformed, attempts exhausted)

Status codes (ScriptStatus):
  OK              1  started
  SKIPPED         0  not runnable: acknowledged and deleted, the record left unchanged
  DEAD_LETTERED  -1  dead-lettered

Idempotent: a retry of the same call (its first reply lost) finds the task
running under this consumer with this entry and returns it as started again,
without a second attempt; it never acknowledges an entry it started itself.

A record whose state is none of Baton's (queued, running, succeeded, dead,
cancelled, scheduled, retrying, parked) is dead-lettered with the reason
"unknown task state '<st>'", not skipped: skipping would delete its entry and
leave it in a state nothing acts on.

No half-applied call (a script that fails after a write is not rolled back):
every entry's record is read and checked (HMGET, which fails on a key of the
wrong type; id, att, max and dlv must be well formed) before anything is
written, so a malformed record is dead-lettered instead of aborting the batch
half-applied. Only when the batch skips or dead-letters an entry are the
stream (and, to dead-letter, dead and stats) type-checked, once per call: the
common batch, which only starts tasks, costs no extra command. A key of the
wrong type fails the call with 'WRONGTYPE start.lua: key <key> holds a <type>,
not a <type>; nothing was written'. The PUBLISH of the dead-lettered ids comes
after every write, through redis.pcall: an ACL that denies the channel leaves
the batch whole, and the dead-lettered entries' replies carry the refusal as a
third element ({DEAD_LETTERED, reason, error}: written, not notified).
]]
local OK, SKIPPED, DEAD_LETTERED = 1, 0, -1
local stream, dead, stats = KEYS[1], KEYS[2], KEYS[3]
local group, consumer, channel = ARGV[1], ARGV[2], ARGV[3]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local STATES = {queued = true, running = true, succeeded = true, dead = true, cancelled = true,
  scheduled = true, retrying = true, parked = true}

local function wrongType(key, want)
  error({err = 'WRONGTYPE start.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
--@include counters (dev/baton/lua/include/counters.lua: count, reply)
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

local function isCount(v)
  return v and string.match(v, '^%d+$') ~= nil and string.len(v) <= 15
end

-- the first malformed field of a record read as f (HMGET order below), or nil
local function malformed(f, id)
  if f[3] ~= id then return 'id' end
  if not isCount(f[4]) then return 'att' end
  if not isCount(f[5]) then return 'max' end
  if not isCount(f[6]) then return 'dlv' end
  return nil
end

-- reads: what becomes of each entry, before anything is written
local out, plan, seen = {}, {}, {}
local acks, deaths = false, false
local n = #KEYS - 3
for i = 1, n do
  local taskKey = KEYS[3 + i]
  local eid, id = ARGV[3 + 2 * i - 1], ARGV[3 + 2 * i]
  -- one read of everything the checks and the reply need
  local f = redis.pcall('HMGET', taskKey, 'st', 'eid', 'id', 'att', 'max', 'dlv', 'own', 'q', 'p', 'to', 'h', 'bo',
    'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8')
  if f.err then wrongType(taskKey, 'hash') end
  local st = f[1]
  if seen[taskKey] then
    -- a second entry of a task this call already writes: it sees that write
    plan[i] = 'ack'
    out[i] = {SKIPPED, 'not runnable: state ' .. seen[taskKey]}
  elseif not st then
    -- an entry whose record is gone: keep a tombstone so it never vanishes silently
    plan[i] = {'tombstone', 'task record missing for stream entry ' .. eid}
    out[i] = {DEAD_LETTERED, 'task record missing'}
  elseif not STATES[st] then
    plan[i] = {'dead', 'unknown task state \'' .. string.sub(st, 1, 64) .. '\''}
    out[i] = {DEAD_LETTERED, 'unknown task state'}
  elseif st == 'running' and f[2] == eid and f[7] == consumer then
    -- this call is a retry and the first one started the task: hand it out again
    out[i] = {OK, f}
  elseif st ~= 'queued' or f[2] ~= eid then
    plan[i] = 'ack'
    out[i] = {SKIPPED, 'not runnable: state ' .. st}
  else
    local bad = malformed(f, id)
    if bad then
      plan[i] = {'dead', 'malformed task record: field ' .. bad}
      out[i] = {DEAD_LETTERED, 'malformed task record'}
    elseif tonumber(f[4]) >= tonumber(f[5]) then
      plan[i] = {'dead', 'attempts exhausted'}
      out[i] = {DEAD_LETTERED, 'attempts exhausted'}
    else
      -- att and dlv were checked to be integers above, so one HSET replaces two HINCRBYs
      local att, dlv = tostring(tonumber(f[4]) + 1), tostring(tonumber(f[6]) + 1)
      f[1], f[4], f[6], f[7] = 'running', att, dlv, consumer
      plan[i] = 'start'
      out[i] = {OK, f}
    end
  end
  if plan[i] == 'start' then
    seen[taskKey] = 'running'
  elseif type(plan[i]) == 'table' then
    seen[taskKey] = 'dead'
    deaths = true
  end
  if plan[i] and plan[i] ~= 'start' then acks = true end
end
-- only a batch that acknowledges or dead-letters an entry writes these keys
if acks then expect(stream, 'stream') end
if deaths then expect(dead, 'zset'); expect(stats, 'hash') end

-- writes: none of these can fail on a key's type any more
local dead_ids = {}
for i = 1, n do
  local p, taskKey = plan[i], KEYS[3 + i]
  local eid, id = ARGV[3 + 2 * i - 1], ARGV[3 + 2 * i]
  if p == 'start' then
    local f = out[i][2]
    redis.call('HSET', taskKey, 'att', f[4], 'dlv', f[6], 'st', 'running', 'own', consumer, 'sta', now)
  elseif p == 'ack' then
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
  elseif p then
    if p[1] == 'tombstone' then
      redis.call('HSET', taskKey, 'id', id, 'q', '', 'att', 0, 'dlv', 1, 'max', 0, 'ct', now, 'eid', eid)
    end
    redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'why', p[2])
    redis.call('ZADD', dead, now, id)
    count(stats, 'dead', 1)
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
    dead_ids[#dead_ids + 1] = i
  end
end
-- last, and through pcall: a refused PUBLISH leaves the batch whole and is reported
for _, i in ipairs(dead_ids) do
  local r = redis.pcall('PUBLISH', channel, ARGV[3 + 2 * i])
  if type(r) == 'table' and r.err then out[i][3] = r.err end
end
return reply(out)
