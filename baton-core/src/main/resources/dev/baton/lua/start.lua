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
  {1, fields}  started: the record after the update, as a flat field/value list of the fields a
               worker needs (id st eid own att dlv max, and q p to h bo when present; p
               is the whole payload, joined from its pieces)
  {0, reason}             skipped and acknowledged (finished, cancelled, stale entry)
  {-1, reason}            dead-lettered here (record missing or malformed, attempts exhausted)

Idempotent: a retry of the same call (its first reply lost) finds the task
running under this consumer with this entry and returns it as started again,
without a second attempt; it never acknowledges an entry it started itself.

Nothing here can fail on data: each entry's record is read and checked (id,
att, max and dlv must be well formed) before anything about it is written, so
a malformed record is dead-lettered instead of aborting the batch half-applied.
]]
local stream, dead, stats = KEYS[1], KEYS[2], KEYS[3]
local group, consumer, channel = ARGV[1], ARGV[2], ARGV[3]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function isCount(v)
  return v and string.match(v, '^%d+$') ~= nil and string.len(v) <= 15
end

-- the first malformed field of a record, or nil
local function malformed(rec, id)
  if rec.id ~= id then return 'id' end
  if not isCount(rec.att) then return 'att' end
  if not isCount(rec.max) then return 'max' end
  if not isCount(rec.dlv) then return 'dlv' end
  return nil
end

local function deadLetter(taskKey, id, eid, why)
  redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'why', why)
  redis.call('ZADD', dead, now, id)
  redis.call('HINCRBY', stats, 'dead', 1)
  redis.call('XACK', stream, group, eid)
  redis.call('XDEL', stream, eid)
  redis.call('PUBLISH', channel, id)
end

-- the reply for a started task, from its HMGET fields and its counters after the start
local function runnable(f, att, dlv)
  local r = {'id', f[3], 'st', 'running', 'eid', f[2], 'own', consumer, 'att', att, 'dlv', dlv, 'max', f[5]}
  local payload = f[9]
  if payload and f[13] then
    -- stored in pieces (see enqueue.lua): p, p2, p3, ... in order
    local pieces = {payload}
    for k = 13, 19 do
      if not f[k] then break end
      pieces[#pieces + 1] = f[k]
    end
    payload = table.concat(pieces)
  end
  local optional = {q = f[8], p = payload, to = f[10], h = f[11], bo = f[12]}
  for _, name in ipairs({'q', 'p', 'to', 'h', 'bo'}) do
    if optional[name] then r[#r + 1] = name; r[#r + 1] = optional[name] end
  end
  return r
end

local out = {}
local n = #KEYS - 3
for i = 1, n do
  local taskKey = KEYS[3 + i]
  local eid, id = ARGV[3 + 2 * i - 1], ARGV[3 + 2 * i]
  -- one read of everything the checks and the reply need
  local f = redis.call('HMGET', taskKey, 'st', 'eid', 'id', 'att', 'max', 'dlv', 'own', 'q', 'p', 'to', 'h', 'bo',
    'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8')
  local rec = {st = f[1], eid = f[2], id = f[3], att = f[4], max = f[5], dlv = f[6], own = f[7]}
  if not rec.st then
    -- an entry whose record is gone: keep a tombstone so it never vanishes silently
    local why = 'task record missing for stream entry ' .. eid
    redis.call('HSET', taskKey, 'id', id, 'q', '', 'att', 0, 'dlv', 1, 'max', 0, 'ct', now, 'eid', eid)
    deadLetter(taskKey, id, eid, why)
    out[i] = {-1, 'task record missing'}
  elseif rec.st == 'running' and rec.eid == eid and rec.own == consumer then
    -- this call is a retry and the first one started the task: hand it out again
    out[i] = {1, runnable(f, rec.att, rec.dlv)}
  elseif rec.st ~= 'queued' or rec.eid ~= eid then
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
    out[i] = {0, 'not runnable: state ' .. rec.st}
  else
    local bad = malformed(rec, id)
    if bad then
      deadLetter(taskKey, id, eid, 'malformed task record: field ' .. bad)
      out[i] = {-1, 'malformed task record'}
    elseif tonumber(rec.att) >= tonumber(rec.max) then
      deadLetter(taskKey, id, eid, 'attempts exhausted')
      out[i] = {-1, 'attempts exhausted'}
    else
      -- att and dlv were checked to be integers above, so one HSET replaces two HINCRBYs
      local att, dlv = tostring(tonumber(rec.att) + 1), tostring(tonumber(rec.dlv) + 1)
      redis.call('HSET', taskKey, 'att', att, 'dlv', dlv, 'st', 'running', 'own', consumer, 'sta', now)
      out[i] = {1, runnable(f, att, dlv)}
    end
  end
end
return out
