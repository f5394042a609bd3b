--[[
cycle (layout v2, docs/hot-path-v2.md): the worker's one script per fetch cycle. It records the
successes its handlers finished since the last cycle, each fenced on its own, and claims up to
k entries that were given back (released) or taken over (recovered), ahead of the new entries
the worker reads with XREADGROUP in the same pipelined round trip.

KEYS[1]   stream   P:{Q}:stream       STREAM
KEYS[2]   stats    P:{Q}:stats        HASH   counter 'succeeded'
then one per success i:
KEYS[2+i] index    P:{Q}:ix:<b_i>     HASH   id -> state
Keys derived here from ARGV[5] (same hash tag, so Cluster routes on KEYS[1]; deriving them saves
passing two names per task): the finished task P:{Q}:done:<id> (STRING), the record
P:{Q}:task:<id> of a task delivered before (a token that starts with 'q' or 'i'), the index bucket
of a claimed entry, ARGV[5] .. 'ix:' .. the first 3 hex digits of SHA-1(id), and the isolation lock.

ARGV[1]   consumer group
ARGV[2]   consumer name (this worker)
ARGV[3]   retention of a finished task, ms
ARGV[4]   most entries to claim (0 = none)
ARGV[5]   the queue's key prefix, 'P:{Q}:'
ARGV[6]   channel for terminal events (PUBLISH, message = the recorded ids, space-separated)
ARGV[7]   isolation: '' (none), 'drain' (this worker holds the isolation lock and is letting its
          tasks end), 'alone' (it holds the lock and runs nothing: it may take one suspect)
ARGV[8]   how long an isolation slot lasts without a cycle renewing it, ms
ARGV[9]   most workers of the queue isolating suspects at once (>= 1)
then three per success i (base a = 9 + 3(i-1)):
ARGV[a+1] task id
ARGV[a+2] token: the index value the worker holds (the entry id of a first delivery)
ARGV[a+3] the finished value, built by the worker: 's,<finished ms>,<attempt>,<worker>,<run ms>|<result>'
          (Baton's worker leaves <worker> empty to keep the value small)

Returns {codes, states, claimed, unnotified, isolation}:
  codes[i]   status of success i (below)
  states[i]  for NOT_HELD, the state the index shows ('queued', 'scheduled', 'parked', 'dead'),
             else ''
  claimed    flat, six per claimed entry: id, entry id, token, attempt, payload, options ('' none)
  unnotified the error of a refused PUBLISH (written, not notified), else false
  isolation  what this worker does next: '' (fetch as usual), 'drain' (it holds the isolation
             lock: fetch nothing until its tasks end, then call with 'alone'), 'alone' (a suspect
             was claimed: run it and nothing else, then call with 'alone' again)

Status codes (ScriptStatus):
  OK          1  recorded
  NOT_HELD   -1  fence rejected: the index holds another token (nothing written for this task)
  NOT_FOUND  -2  the task is in no index (finished, cancelled or removed): nothing written

The token of a delivery is the index value written when it was handed out, so an old holder (its
task released, recovered or cancelled since) is refused. Claimed entries come from the pending
lists of the reserved consumers '~released' and '~recovered', in that order; each gets the next
token ('q<n+1>,<att>,<nol>,<flt>,<eid>') and its attempt is att + 1. An entry whose task is in no
index any more (finished or cancelled meanwhile) is acknowledged and deleted instead.

Suspects (tasks whose deliveries ended without an outcome twice or more) wait under '~suspect'
and are run alone: a cycle that sees some waiting takes an isolation slot when one is free
(P:{Q}:isolating, a ZSET of the isolating workers scored by when their slot runs out; at most
ARGV[9] of them, and no more than suspects wait) and answers 'drain'; that worker fetches nothing
until its tasks end, then claims one suspect ('alone'), whose token starts with 'i' (an isolated
delivery: only such a delivery that ends without an outcome counts toward calling the task
poison, see recover.lua). With no suspect left, it gives its slot up and fetches as usual. A
worker that stops cycling (killed, cut off) loses its slot after ARGV[8] ms.

No half-applied call (a script that fails after a write is not rolled back): every index field
(HGET, which fails on a wrong-typed bucket), every record of a re-delivered task (TYPE), the
claimable entries (XPENDING, which fails on a wrong-typed stream, and XRANGE) and the stats
counter (HGET, which must be an integer or is started again) are read before the first write.
A key of the wrong type fails the call with 'WRONGTYPE cycle.lua: key <key> holds a <type>, not
a <type>; nothing was written'. The PUBLISH comes last, through redis.pcall.
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local stream, stats = KEYS[1], KEYS[2]
local group, consumer, retention, claimMax, prefix, channel, isolation, lockMs, isolationCap =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]),
  tonumber(ARGV[9])
local n = #KEYS - 2
if #ARGV ~= 9 + 3 * n then
  return redis.error_reply('ERR cycle.lua: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole successes')
end
if not retention or retention < 1 or not claimMax or claimMax < 0 or not lockMs or lockMs < 1
    or not isolationCap or isolationCap < 1 then
  return redis.error_reply('ERR cycle.lua: retention, claim count, slot time and slot count must be integers')
end
if isolation ~= '' and isolation ~= 'drain' and isolation ~= 'alone' then
  return redis.error_reply('ERR cycle.lua: isolation must be empty, drain or alone')
end
local lock = prefix .. 'isolating'

local SCRIPT = 'cycle.lua'
--@include v2

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- reads: the successes
local codes, states, acks, held, records = {}, {}, {}, {}, {}
local seen = {}
for i = 1, n do
  local index, a = KEYS[2 + i], 9 + 3 * (i - 1)
  local id, token = ARGV[a + 1], ARGV[a + 2]
  local v = checked(redis.pcall('HGET', index, id), index, 'hash')
  states[i] = ''
  if seen[id] or not v then
    codes[i] = seen[id] and NOT_HELD or NOT_FOUND
  elseif v ~= token then
    codes[i] = NOT_HELD
    states[i] = stateOf(v)
  else
    codes[i] = OK
    seen[id] = true
    acks[#acks + 1] = select(5, countsOf(token))
    held[#held + 1] = i
    local c = string.sub(token, 1, 1)
    if c == 'q' or c == 'i' then
      local record = prefix .. 'task:' .. id
      local rt = redis.call('TYPE', record).ok
      if rt == 'hash' then records[i] = record elseif rt ~= 'none' then wrongType(record, 'hash') end
    end
  end
end

-- reads: the entries to claim: given back first, then taken over; or, alone, one suspect
local claims = {}
local sources, prefixOf = {'~released', '~recovered'}, 'q'
if isolation ~= '' then
  local mine = checked(redis.pcall('ZSCORE', lock, consumer), lock, 'zset')
  if not mine or tonumber(mine) <= now then isolation = '' end -- the slot ran out: fetch as usual
end
if isolation == 'drain' then
  sources, claimMax = {}, 0
elseif isolation == 'alone' then
  sources, claimMax, prefixOf = {'~suspect'}, 1, 'i'
end
-- one summary read says which reserved consumers hold entries (its cost grows with the number
-- of consumers, not of entries), so an ordinary cycle makes no per-consumer XPENDING
local waiting = {}
if isolation ~= 'drain' and (claimMax > 0 or isolation == '') then
  local summary = checked(redis.pcall('XPENDING', stream, group), stream, 'stream')
  if summary[4] then
    for _, c in ipairs(summary[4]) do waiting[c[1]] = tonumber(c[2]) end
  end
end
-- a free isolation slot: suspects wait, and fewer workers than them (and than the cap) isolate
local takeSlot = false
if isolation == '' and (waiting['~suspect'] or 0) > 0 then
  local isolating = checked(redis.pcall('ZCOUNT', lock, '(' .. now, '+inf'), lock, 'zset')
  takeSlot = isolating < math.min(isolationCap, waiting['~suspect'])
end
if claimMax > 0 then
  for _, from in ipairs(sources) do
    local room = claimMax - #claims
    if room > 0 and waiting[from] then
      local pending = checked(redis.pcall('XPENDING', stream, group, '-', '+', room, from), stream, 'stream')
      for _, p in ipairs(pending) do
        local eid = p[1]
        local e = redis.call('XRANGE', stream, eid, eid)
        local f = {}
        if e[1] then
          local kv = e[1][2]
          for x = 1, #kv, 2 do f[kv[x]] = kv[x + 1] end
        end
        local id = f['t']
        local c = {eid = eid, id = id, p = f['p'], o = f['o'] or ''}
        if id then
          c.index = prefix .. 'ix:' .. string.sub(redis.sha1hex(id), 1, 3)
          c.v = checked(redis.pcall('HGET', c.index, id), c.index, 'hash')
        end
        claims[#claims + 1] = c
      end
    end
  end
end

local counted = false
if #acks > 0 then
  counted = counterOk(stats, 'succeeded')
end

-- writes: none of these can fail on a key's type any more
local done = {}
if #acks > 0 then
  redis.call('XACK', stream, group, unpack(acks))
  redis.call('XDEL', stream, unpack(acks))
  for _, i in ipairs(held) do
    local a = 9 + 3 * (i - 1)
    local id = ARGV[a + 1]
    redis.call('HDEL', KEYS[2 + i], id)
    redis.call('SET', prefix .. 'done:' .. id, ARGV[a + 3], 'PX', retention)
    if records[i] then
      redis.call('HSET', records[i], 'st', 'succeeded', 'ft', now)
      redis.call('PEXPIRE', records[i], retention)
    end
    done[#done + 1] = id
  end
  if counted then
    redis.call('HINCRBY', stats, 'succeeded', #acks)
  else
    redis.call('HSET', stats, 'succeeded', #acks)
  end
end

local claimed = {}
for _, c in ipairs(claims) do
  local v = c.v
  local first = v and string.sub(v, 1, 1) or ''
  if not c.id or not c.p or not (first == 'q' or first == 'i' or string.match(first, '%d')) then
    -- nothing to run: the task finished, was cancelled or moved on meanwhile, or the entry is
    -- unreadable (the recoverer dead-letters unreadable entries before they get here)
    redis.call('XACK', stream, group, c.eid)
    redis.call('XDEL', stream, c.eid)
  else
    local dn, att, nol, flt = countsOf(v)
    local token = prefixOf .. (dn + 1) .. ',' .. att .. ',' .. nol .. ',' .. flt .. ',' .. c.eid
    redis.call('XCLAIM', stream, group, consumer, 0, c.eid, 'JUSTID')
    redis.call('HSET', c.index, c.id, token)
    local k = #claimed
    claimed[k + 1] = c.id
    claimed[k + 2] = c.eid
    claimed[k + 3] = token
    claimed[k + 4] = att + 1
    claimed[k + 5] = c.p
    claimed[k + 6] = c.o
  end
end

-- the isolation slots: one taken when a suspect waits and a slot is free, kept (its expiry pushed
-- on) while draining or running a suspect alone, given up when no suspect is left; slots of
-- workers that stopped cycling run out after lockMs
local nextIsolation = ''
if takeSlot then
  redis.call('ZREMRANGEBYSCORE', lock, '-inf', now)
  redis.call('ZADD', lock, now + lockMs, consumer)
  redis.call('PEXPIRE', lock, lockMs)
  nextIsolation = 'drain'
elseif isolation == 'drain' or (isolation == 'alone' and #claimed > 0) then
  redis.call('ZADD', lock, now + lockMs, consumer)
  redis.call('PEXPIRE', lock, lockMs)
  nextIsolation = isolation
elseif isolation == 'alone' then
  redis.call('ZREM', lock, consumer)
end

local unnotified = false
if #done > 0 then
  local r = redis.pcall('PUBLISH', channel, table.concat(done, ' '))
  if type(r) == 'table' and r.err then unnotified = r.err end
end
return {codes, states, claimed, unnotified, nextIsolation}
