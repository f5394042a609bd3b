--[[
enqueue: create one task, atomically, idempotent on the task id.

Writes the task record and either a stream entry (run now) or a delayed-set
member (run later) in one step, so there is never a stream entry without its
record nor a record without its entry or delayed member.

KEYS[1] task      P:{Q}:task:<id>     HASH  the task record
KEYS[2] stream    P:{Q}:stream        STREAM entries {t=<id>}
KEYS[3] delayed   P:{Q}:delayed       ZSET  member id, score due time (ms, server clock)
KEYS[4] dedup     P:{Q}:dedup:<key>   STRING task id owning the dedup key (a dummy name when ARGV[8] is '')
KEYS[5] stats     P:{Q}:stats         HASH  counters

ARGV[1]  task id
ARGV[2]  agent type (the queue)
ARGV[3]  payload (JSON text, validated by the client)
ARGV[4]  max attempts (integer >= 1)
ARGV[5]  timeout ms (0 = the handler's default)
ARGV[6]  delay ms, relative to server time (0 = none)
ARGV[7]  run-at, absolute epoch ms (0 = none; wins over the delay)
ARGV[8]  dedup key ('' = none)
ARGV[9]  headers (JSON object text, '' = none)
ARGV[10] backoff override "baseMs,multiplier,capMs" ('' = none)
ARGV[11] dedup window ms
ARGV[12] consumer group name
ARGV[13] max wait ms for dependencies (optional; absent, '' or 0 = none): stored as mw; a
         task parked past ct + mw is dead-lettered (see park.lua, unpark.lua)

Returns {code, id, state}
  code 1 created, 0 the id already exists (its current state is returned),
  2 the dedup key is held by another task (its id is returned, state '').
]]
local taskKey, stream, delayed, dedupKey, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, queue, payload = ARGV[1], ARGV[2], ARGV[3]
local maxAttempts, timeoutMs = ARGV[4], ARGV[5]
local delayMs, runAt = tonumber(ARGV[6]), tonumber(ARGV[7])
local dedup, headers, backoff = ARGV[8], ARGV[9], ARGV[10]
local dedupWindow, group = ARGV[11], ARGV[12]
-- validate numbers before the first write: a script that fails after writing does not roll back
if not delayMs or not runAt or not tonumber(dedupWindow) then
  return redis.error_reply('ERR enqueue: delay, run-at and dedup window must be integers')
end

local existing = redis.call('HGET', taskKey, 'st')
if existing then
  return {0, id, existing}
end
if dedup ~= '' then
  local holder = redis.call('GET', dedupKey)
  if holder then
    return {2, holder, ''}
  end
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = now + delayMs
if runAt > 0 then due = runAt end

if redis.call('EXISTS', stream) == 0 then
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
end

local state
if due > now then
  state = 'scheduled'
  redis.call('HSET', taskKey, 'id', id, 'q', queue, 'p', payload, 'st', state,
    'att', 0, 'dlv', 0, 'max', maxAttempts, 'to', timeoutMs, 'ct', now, 'sa', due)
  redis.call('ZADD', delayed, due, id)
else
  state = 'queued'
  local eid = redis.call('XADD', stream, '*', 't', id)
  redis.call('HSET', taskKey, 'id', id, 'q', queue, 'p', payload, 'st', state,
    'att', 0, 'dlv', 0, 'max', maxAttempts, 'to', timeoutMs, 'ct', now, 'sa', now, 'eid', eid)
end
if headers ~= '' then redis.call('HSET', taskKey, 'h', headers) end
if backoff ~= '' then redis.call('HSET', taskKey, 'bo', backoff) end
local maxWait = tonumber(ARGV[13] or '')
if maxWait and maxWait > 0 then redis.call('HSET', taskKey, 'mw', maxWait) end
if dedup ~= '' then
  redis.call('HSET', taskKey, 'dk', dedup)
  redis.call('SET', dedupKey, id, 'PX', math.max(1, tonumber(dedupWindow) + math.max(0, due - now)))
end
redis.call('HINCRBY', stats, 'enqueued', 1)
return {1, id, state}
