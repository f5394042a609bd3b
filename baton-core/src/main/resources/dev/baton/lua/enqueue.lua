--[[
enqueue: create one task, or several of one agent type, atomically per task, idempotent on the
task id.

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
ARGV[3]  payload (JSON text, validated by the client; stored in pieces, see addPayload)
ARGV[4]  max attempts (integer >= 1)
ARGV[5]  timeout ms (0 = the handler's default)
ARGV[6]  delay ms, relative to server time (0 = none)
ARGV[7]  run-at, absolute epoch ms (0 = none; wins over the delay)
ARGV[8]  dedup key ('' = none)
ARGV[9]  headers (JSON object text, '' = none)
ARGV[10] backoff override "baseMs,multiplier,capMs" ('' = none)
ARGV[11] dedup window ms
ARGV[12] consumer group name
ARGV[13] max wait ms for dependencies ('' or 0 = none; may be left out in a one-task call):
         stored as mw; a task parked past
         ct + mw is dead-lettered (see park.lua, unpark.lua)

More tasks of the same agent type in the same call (a bulk enqueue), for j = 2..n:
KEYS[6+2(j-2)] task of task j, KEYS[7+2(j-2)] its dedup key (same rules as KEYS[1] and KEYS[4]);
ARGV[14+11(j-2)] .. ARGV[24+11(j-2)]: task j's values in the order of ARGV[1]..ARGV[10], then its
max wait (as ARGV[13]). ARGV[11] and ARGV[12] apply to every task. Tasks are created in order, each as if alone: a
second task with the same id or dedup key as an earlier one in the call gets EXISTS or DUPLICATE.

Returns {code, id, state} per task, flattened: {code_1, id_1, state_1, code_2, id_2, ...}

No half-applied call (a script that fails after a write is not rolled back): every task's
record (HGET) and dedup key (GET) are read, and the stream's type is read (TYPE, which
replaces the EXISTS that decides whether to create the group: no extra command), before
the first write; the delayed set is type-checked only when a task of the call is
scheduled. The first write is the stats counter, so a wrong-typed stats hash fails the
call before anything else is written. A key of the wrong type fails the call with
'WRONGTYPE enqueue.lua: key <key> holds a <type>, not a <type>; nothing was written'.

Status codes (ScriptStatus):
  OK          1  created (its state is returned)
  EXISTS      0  the id already exists: nothing written (its current state is returned)
  DUPLICATE   2  the dedup key is held by another task: nothing written (the holder's id is
                 returned, state '')
]]
local OK, EXISTS, DUPLICATE = 1, 0, 2
local stream, delayed, stats = KEYS[2], KEYS[3], KEYS[5]
local dedupWindow, group = ARGV[11], ARGV[12]
local n = (#KEYS - 5) / 2 + 1
-- a single task may leave out ARGV[13] (no max wait), as before max waits existed
if n ~= math.floor(n) or (#ARGV ~= 13 + 11 * (n - 1) and not (n == 1 and #ARGV == 12)) then
  return redis.error_reply('ERR enqueue: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole tasks')
end

-- A payload longer than one piece is stored in pieces of at most PIECE bytes, in fields p, p2,
-- p3, ... (at most MAX_PIECES), cut at UTF-8 character boundaries: Redis keeps a hash whose
-- values are all at most 64 bytes (hash-max-listpack-value, by default) as a compact listpack,
-- and one longer value turns the whole record into a hashtable, about 2.5 times bigger. A
-- payload that needs more pieces is stored whole in p.
local PIECE, MAX_PIECES = 64, 8
-- where the piece of a payload of n bytes that starts at byte i ends: PIECE bytes on, less while
-- the next byte continues a character (10xxxxxx), so that no character is split
local function pieceEnd(payload, i, n)
  local j = i + PIECE - 1
  if j >= n then return n end
  while j > i do
    local b = string.byte(payload, j + 1)
    if b < 128 or b >= 192 then break end
    j = j - 1
  end
  return j
end

-- appends the payload's field/value pairs to fields after position k; returns the new last position
local function addPayload(fields, k, payload)
  local n = #payload
  if n <= PIECE or n > PIECE * MAX_PIECES then
    fields[k + 1] = 'p'; fields[k + 2] = payload
    return k + 2
  end
  local start, count = k, 0
  local i = 1
  while i <= n do
    local j = pieceEnd(payload, i, n)
    count = count + 1
    if count > MAX_PIECES then
      fields[start + 1] = 'p'; fields[start + 2] = payload
      for x = start + 3, k do fields[x] = nil end
      return start + 2
    end
    fields[k + 1] = count == 1 and 'p' or ('p' .. count); fields[k + 2] = string.sub(payload, i, j)
    k = k + 2
    i = j + 1
  end
  return k
end

-- validate numbers before the first write: a script that fails after writing does not roll back
if not tonumber(dedupWindow) then
  return redis.error_reply('ERR enqueue: delay, run-at and dedup window must be integers')
end
for j = 1, n do
  local b = j == 1 and 0 or 13 + 11 * (j - 2)
  if not tonumber(ARGV[b + 6]) or not tonumber(ARGV[b + 7]) then
    return redis.error_reply('ERR enqueue: delay, run-at and dedup window must be integers')
  end
end

local function wrongType(key, want)
  error({err = 'WRONGTYPE enqueue.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
-- (a copy of include/counters.lua and include/repaired.lua: producers in other languages run
-- enqueue.lua as it is, so it includes nothing)
-- counters (stats, parking n:<dep>): a value that is not an integer, or would overflow, was
-- written outside Baton; it is reset to this call's count (never below 0) instead of failing the
-- call after its writes, and the reset is reported: the reply is wrapped as
-- {'REPAIRED', {{key, field, old value}, ...}, reply}, which the Java runner unwraps and logs
local repaired = {}
local function count(key, field, by)
  local r = redis.pcall('HINCRBY', key, field, by)
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'WRONGTYPE', 1, true) then wrongType(key, 'hash', redis.call('TYPE', key).ok) end
    repaired[#repaired + 1] = {key, field, string.sub(tostring(redis.call('HGET', key, field)), 1, 40)}
    redis.call('HSET', key, field, math.max(by, 0))
  end
end
local function reply(r)
  if #repaired > 0 then return {'REPAIRED', repaired, r} end
  return r
end
-- a read that fails on a key of the wrong type, named
local function checked(r, key, want)
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'WRONGTYPE', 1, true) then wrongType(key, want) end
    error(r)
  end
  return r
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local streamType = redis.call('TYPE', stream).ok
if streamType ~= 'stream' and streamType ~= 'none' then wrongType(stream, 'stream') end

-- reads: what each task becomes, before anything is written. A task with the id or dedup key of
-- an earlier task of this call sees that task as if it had been written already.
local out, created, plan = {}, 0, {}
local seenIds, seenDedup, scheduled = {}, {}, false
for j = 1, n do
  local taskKey, dedupKey, b, maxWait
  if j == 1 then
    taskKey, dedupKey, b, maxWait = KEYS[1], KEYS[4], 0, ARGV[13]
  else
    taskKey, dedupKey, b = KEYS[6 + 2 * (j - 2)], KEYS[7 + 2 * (j - 2)], 13 + 11 * (j - 2)
    maxWait = ARGV[b + 11]
  end
  local id, dedup = ARGV[b + 1], ARGV[b + 8]

  local code, rid, state = OK, id, nil
  local existing = seenIds[taskKey] or checked(redis.pcall('HGET', taskKey, 'st'), taskKey, 'hash')
  if existing then
    code, state = EXISTS, existing
  elseif dedup ~= '' then
    local holder = seenDedup[dedupKey] or checked(redis.pcall('GET', dedupKey), dedupKey, 'string')
    if holder then code, rid, state = DUPLICATE, holder, '' end
  end
  if code == OK then
    local due = now + tonumber(ARGV[b + 6])
    local runAt = tonumber(ARGV[b + 7])
    if runAt > 0 then due = runAt end
    state = due > now and 'scheduled' or 'queued'
    if due > now then scheduled = true end
    seenIds[taskKey] = state
    if dedup ~= '' then seenDedup[dedupKey] = id end
    plan[j] = {taskKey, dedupKey, b, maxWait, due}
    created = created + 1
  end
  local o = #out
  out[o + 1] = code
  out[o + 2] = rid
  out[o + 3] = state
end
if scheduled then
  local dt = redis.call('TYPE', delayed).ok
  if dt ~= 'zset' and dt ~= 'none' then wrongType(delayed, 'zset') end
end
if created == 0 then return out end

-- writes. The first is the counter: a wrong-typed stats hash fails here, before anything else.
count(stats, 'enqueued', created) -- the first write: a wrong-typed stats fails it
if streamType == 'none' then
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
end
for j = 1, n do
  local p = plan[j]
  if p then
    local taskKey, dedupKey, b, maxWait, due = p[1], p[2], p[3], p[4], p[5]
    local id, dedup = ARGV[b + 1], ARGV[b + 8]
    local payload, headers, backoff = ARGV[b + 3], ARGV[b + 9], ARGV[b + 10]
    local np = #payload
    maxWait = tonumber(maxWait)
    local cut = np
    if np > PIECE then cut = pieceEnd(payload, 1, np) end
    if due <= now and headers == '' and backoff == '' and dedup == '' and not (maxWait and maxWait > 0)
        and np - cut <= PIECE then
      -- the common record (due now, no options, a payload of one or two pieces): its fields go
      -- straight to HSET, in the order of the general case below, without a field list, which
      -- would cost Redis CPU per task
      local eid = redis.call('XADD', stream, '*', 't', id)
      if cut == np then
        redis.call('HSET', taskKey, 'id', id, 'q', ARGV[b + 2], 'st', 'queued', 'att', 0, 'dlv', 0,
          'max', ARGV[b + 4], 'to', ARGV[b + 5], 'ct', now, 'sa', now, 'eid', eid, 'p', payload)
      else
        redis.call('HSET', taskKey, 'id', id, 'q', ARGV[b + 2], 'st', 'queued', 'att', 0, 'dlv', 0,
          'max', ARGV[b + 4], 'to', ARGV[b + 5], 'ct', now, 'sa', now, 'eid', eid,
          'p', string.sub(payload, 1, cut), 'p2', string.sub(payload, cut + 1))
      end
    else
      -- the whole record in one HSET
      local state = 'queued'
      local fields = {'id', id, 'q', ARGV[b + 2], 'st', '', 'att', 0, 'dlv', 0,
        'max', ARGV[b + 4], 'to', ARGV[b + 5], 'ct', now, 'sa', due}
      local k = 18
      if due > now then
        state = 'scheduled'
        redis.call('ZADD', delayed, due, id)
      else
        fields[18] = now
        fields[19] = 'eid'
        fields[20] = redis.call('XADD', stream, '*', 't', id)
        k = 20
      end
      fields[6] = state
      k = addPayload(fields, k, payload)
      if headers ~= '' then fields[k + 1] = 'h'; fields[k + 2] = headers; k = k + 2 end
      if backoff ~= '' then fields[k + 1] = 'bo'; fields[k + 2] = backoff; k = k + 2 end
      if dedup ~= '' then fields[k + 1] = 'dk'; fields[k + 2] = dedup; k = k + 2 end
      if maxWait and maxWait > 0 then fields[k + 1] = 'mw'; fields[k + 2] = maxWait; k = k + 2 end
      redis.call('HSET', taskKey, unpack(fields, 1, k))
      if dedup ~= '' then
        redis.call('SET', dedupKey, id, 'PX', math.max(1, tonumber(dedupWindow) + math.max(0, due - now)))
      end
    end
  end
end
return reply(out)
