--[[
enqueue (layout v2, docs/hot-path-v2.md): create one task, or several of one agent type,
atomically per task, idempotent on the task id.

A task due now becomes one stream entry holding its id, payload and (only when it has some)
options, plus its index field (value: the entry id). A task due later becomes a record hash and
a delayed-set member, plus its index field (value 'd'). Never an entry without its index field,
nor an index field without its entry, delayed member or record.

KEYS[1]   stream   P:{Q}:stream     STREAM entries {t=<id>, p=<payload>[, o=<options>]}
KEYS[2]   delayed  P:{Q}:delayed    ZSET   member id, score due time (ms, server clock)
KEYS[3]   stats    P:{Q}:stats      HASH   counters (field 'enqueued')
KEYS[4]   layout   P:{Q}:layout     STRING the layout marker, '2'
then one per task j:
KEYS[4+j] index    P:{Q}:ix:<b>     HASH   id -> state; <b> = first 3 hex digits of SHA-1(id)
Keys derived here from ARGV[3] (same hash tag, so Cluster routes on KEYS[1]; deriving them saves
passing three names per task): the finished task P:{Q}:done:<id> (STRING: its existence makes the
id taken), the record P:{Q}:task:<id> (HASH, written for a task due later) and the dedup key
P:{Q}:dedup:<key> (STRING, the id holding it).

ARGV[1]   consumer group
ARGV[2]   dedup window, ms (>= 1)
ARGV[3]   the queue's key prefix, 'P:{Q}:'
then three per task j (base a = 3 + 3(j-1)):
ARGV[a+1] task id
ARGV[a+2] payload (JSON text, validated by the client)
ARGV[a+3] '' for a task due now with no options and no dedup key (the common task), else
          '<delay ms>|<run-at ms>|<dedup key>|<options>': the delay relative to server time (0 =
          none), the absolute run-at (0 = none; wins over the delay), the dedup key ('' = none; ids
          and dedup keys cannot hold '|'), and the options, a JSON object of the non-default options
          validated by the client ('' = none), last because it may hold '|'

Returns {code, id, state} per task, flattened. state is 'queued' or 'scheduled' for a created
task; for an existing one its current state: 'queued', 'running' (its entry is pending under a
worker), 'scheduled' or 'retrying' (its record's st), 'parked', 'dead', 'succeeded' or
'cancelled' (its finished value). Those reads happen only for a taken id.

No half-applied call (a script that fails after a write is not rolled back): every task's
index field (HEXISTS, which fails on a wrong-typed bucket), done key (EXISTS) and dedup key
(GET) are read; the stream's type is read (TYPE, which also decides whether to create the
group); the layout marker is read (GET); the stats counter is read and must be an integer
(HGET, which also type-checks the hash); the delayed set is type-checked when a task of the
call is scheduled; a record key is type-checked for each scheduled task. All before the first
write. A key of the wrong type fails the call with 'WRONGTYPE enqueue.lua: key <key> holds a
<type>, not a <type>; nothing was written'; a stream without the marker (written by a Baton
before layout 2) fails it with 'ERR enqueue.lua: LAYOUT ...', nothing written.

Status codes (ScriptStatus):
  OK          1  created (its state is returned)
  EXISTS      0  the id is taken by an unfinished or retained finished task: nothing written
  DUPLICATE   2  the dedup key is held by another task: nothing written (the holder's id is
                 returned, state '')
]]
local OK, EXISTS, DUPLICATE = 1, 0, 2
local stream, delayed, stats, layout = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, dedupWindow, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local n = #KEYS - 4
if n < 1 or #ARGV ~= 3 + 3 * n then
  return redis.error_reply('ERR enqueue.lua: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole tasks')
end
if not dedupWindow or dedupWindow < 1 then
  return redis.error_reply('ERR enqueue.lua: the dedup window must be an integer >= 1')
end
-- the extras of each task: delay, run-at, dedup key, options (see ARGV[a+3])
local extras = {}
for j = 1, n do
  local x = ARGV[3 + 3 * j]
  if x ~= '' then
    local delay, runAt, dedup, options = string.match(x, '^(%-?%d+)|(%d+)|([^|]*)|(.*)$')
    if not delay then
      return redis.error_reply('ERR enqueue.lua: task ' .. j .. ': extras must be <delay>|<run-at>|<dedup>|<options>')
    end
    extras[j] = {delay = tonumber(delay), runAt = tonumber(runAt), dedup = dedup, options = options}
  end
end

local function wrongType(key, want)
  error({err = 'WRONGTYPE enqueue.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
-- a read that fails on a key of the wrong type, named
local function checked(r, key, want)
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'WRONGTYPE', 1, true) then wrongType(key, want) end
    error(r)
  end
  return r
end
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

-- the state of an existing task (read only when an id is taken, off the common path)
local function stateOf(v, record)
  local c = string.sub(v, 1, 1)
  if c == 'd' then return redis.call('HGET', record, 'st') or 'scheduled' end
  if c == 'k' then return 'parked' elseif c == 'x' then return 'dead' end
  local eid = v
  if c == 'q' or c == 'i' then eid = string.match(v, ',([^,]*)$') or v end
  local p = redis.pcall('XPENDING', stream, group, eid, eid, 1)
  if type(p) == 'table' and not p.err and #p == 1 and string.sub(p[1][2], 1, 1) ~= '~' then return 'running' end
  return 'queued'
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local streamType = redis.call('TYPE', stream).ok
if streamType ~= 'stream' and streamType ~= 'none' then wrongType(stream, 'stream') end
local marker = checked(redis.pcall('GET', layout), layout, 'string')
if streamType == 'stream' and marker ~= '2' then
  return redis.error_reply('ERR enqueue.lua: LAYOUT the queue holds data in layout '
    .. (marker and string.sub(marker, 1, 8) or '1') .. ', not 2: drain it with the Baton that wrote it')
end

-- reads: what each task becomes. A task with the id or dedup key of an earlier task of this
-- call sees that task as if it had been written already.
local out, plan, created = {}, {}, 0
local seenIds, seenDedup, scheduled = {}, {}, false
for j = 1, n do
  local index, a, x = KEYS[4 + j], 3 + 3 * (j - 1), extras[j]
  local id = ARGV[a + 1]
  local dedup = x and x.dedup or ''
  local dedupKey = prefix .. 'dedup:' .. dedup
  local code, rid, state = OK, id, nil
  local v = seenIds[id]
  if not v then
    v = checked(redis.pcall('HGET', index, id), index, 'hash')
    if v then
      v = stateOf(v, prefix .. 'task:' .. id)
    else
      local done = prefix .. 'done:' .. id
      if redis.call('EXISTS', done) == 1 then
        local d = redis.pcall('GET', done)
        v = (type(d) == 'string' and string.sub(d, 1, 1) == 'c') and 'cancelled' or 'succeeded'
      end
    end
  end
  if v then
    code, state = EXISTS, v
  elseif dedup ~= '' then
    local holder = seenDedup[dedupKey] or checked(redis.pcall('GET', dedupKey), dedupKey, 'string')
    if holder then code, rid, state = DUPLICATE, holder, '' end
  end
  if code == OK then
    local due = now
    if x then
      due = now + x.delay
      if x.runAt > 0 then due = x.runAt end
    end
    if due > now then
      state = 'scheduled'
      scheduled = true
      expect(prefix .. 'task:' .. id, 'hash')
    else
      state = 'queued'
    end
    seenIds[id] = state
    if dedup ~= '' then seenDedup[dedupKey] = id end
    plan[j] = due
    created = created + 1
  end
  out[#out + 1] = code
  out[#out + 1] = rid
  out[#out + 1] = state
end
if created == 0 then return out end
if scheduled then expect(delayed, 'zset') end
-- the counter is advisory: a value that is not an integer is started again at what this call
-- adds (HINCRBY would fail after the writes)
local counted = checked(redis.pcall('HGET', stats, 'enqueued'), stats, 'hash')
local countOk = counted == false or string.match(counted, '^%-?%d+$') ~= nil and #counted <= 18

-- writes: none of these can fail on a key's type any more
if streamType == 'none' then
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  redis.call('SET', layout, '2')
end
for j = 1, n do
  local due = plan[j]
  if due then
    local index, a, x = KEYS[4 + j], 3 + 3 * (j - 1), extras[j]
    local id, payload = ARGV[a + 1], ARGV[a + 2]
    local options, dedup = x and x.options or '', x and x.dedup or ''
    if due <= now then
      local eid
      if options == '' then
        eid = redis.call('XADD', stream, '*', 't', id, 'p', payload)
      else
        eid = redis.call('XADD', stream, '*', 't', id, 'p', payload, 'o', options)
      end
      redis.call('HSET', index, id, eid)
    else
      local record = prefix .. 'task:' .. id
      if options == '' then
        redis.call('HSET', record, 'id', id, 'st', 'scheduled', 'ct', now, 'sa', due, 'p', payload)
      else
        redis.call('HSET', record, 'id', id, 'st', 'scheduled', 'ct', now, 'sa', due, 'p', payload, 'o', options)
      end
      redis.call('ZADD', delayed, due, id)
      redis.call('HSET', index, id, 'd')
    end
    if dedup ~= '' then
      redis.call('SET', prefix .. 'dedup:' .. dedup, id, 'PX', math.max(1, dedupWindow + math.max(0, due - now)))
    end
  end
end
if countOk then
  redis.call('HINCRBY', stats, 'enqueued', created)
else
  redis.call('HSET', stats, 'enqueued', created)
end
return out
