--[[
recover (layout v2, docs/hot-path-v2.md): take over entries whose lease expired. Safe with any
number of recoverers at once: an entry is handled only while it is still pending under a
worker's consumer and still idle past the lease.

For each entry (an entry listed more than once in a call is handled once):
  - gone from the pending list, renewed meanwhile, or already under a reserved consumer: skipped;
  - no task id: deleted from the stream while pending (trimmed), or an entry without a 't' field
    (written outside Baton): acknowledged (and deleted) and recorded as a dead tombstone
    'entry-<entryId>', why 'stream entry deleted while pending (trimmed outside Baton?)' or
    'stream entry <entryId> has no task id (written outside Baton)';
  - the task is in no index: acknowledged, dead tombstone under the task id ('task record missing
    for stream entry <eid>');
  - the index no longer names this entry (the task moved on): acknowledged and deleted;
  - an index value Baton does not write: dead-lettered ('unknown task state ...');
  - a delivery that never reported an outcome: the entry stays where it is in the stream and is
    claimed, uncounted, by the reserved consumer '~recovered', from which the next cycle of any
    worker takes it ahead of new entries; 'nol' grows by one and the index gets the next token,
    so the old holder can write nothing more. From its second such delivery on the task is a
    suspect and goes to '~suspect' instead, to be run alone (see cycle.lua). It is dead-lettered
    as a poison task ('max deliveries exceeded ...') only when nol reaches the limit AND the
    delivery that just ended was an isolated one (token 'i...'): a task that only shared a worker
    with one that killed it is not called poison.

KEYS[1]   stream  P:{Q}:stream   STREAM
KEYS[2]   dead    P:{Q}:dead     ZSET
KEYS[3]   stats   P:{Q}:stats    HASH  counters 'recovered', 'dead'
then two per entry i:
KEYS[2+2i] index  P:{Q}:ix:<b_i>    HASH (of the task id; of 'entry-<entryId>' when the id is '')
KEYS[3+2i] record P:{Q}:task:<id_i> HASH (P:{Q}:task:entry-<entryId> when the id is '')

ARGV[1]      consumer group
ARGV[2]      lease, ms
ARGV[3]      max deliveries without an outcome (poison limit)
ARGV[4]      channel for terminal events
then two per entry i (base a = 4 + 2(i-1)):
ARGV[a+1]    entry id
ARGV[a+2]    task id ('' when unknown)

Returns {recovered, deadLettered, cleaned, recoveredIds, deadIds, unnotified, skipped}: counts,
the ids taken over (to '~recovered' or '~suspect') and dead-lettered (tombstone ids for entries
without a task), the error of a refused PUBLISH or false, and the index buckets or records that
are not hashes (their entries are left pending with their owner, idle time reset, so one bad key
cannot stop the recovery of a queue).

No half-applied call: every entry is read and checked first (XPENDING, XRANGE, the index field,
the record's TYPE and fields), and dead and stats are type-checked (stats' counters read: a value
that is not an integer is started again), all before the first write. A queue key of the wrong
type fails the call with 'WRONGTYPE recover.lua: key <key> holds a <type>, not a <type>; nothing
was written'. The PUBLISH comes last, through redis.pcall.
]]
local stream, dead, stats = KEYS[1], KEYS[2], KEYS[3]
local group, lease, maxDeliveries, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local n = (#KEYS - 3) / 2
if n ~= math.floor(n) or #ARGV ~= 4 + 2 * n or not lease or not maxDeliveries then
  return redis.error_reply('ERR recover.lua: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole entries')
end


local SCRIPT = 'recover.lua'
--@include v2
expect(stream, 'stream'); expect(dead, 'zset'); expect(stats, 'hash')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local recoveredOk, deadOk = counterOk(stats, 'recovered'), counterOk(stats, 'dead')

-- reads and checks: nothing below writes until every entry has been looked at
local plan, skipped, seen = {}, {}, {}
for i = 1, n do
  local index, record, a = KEYS[2 + 2 * i], KEYS[3 + 2 * i], 4 + 2 * (i - 1)
  local eid, id = ARGV[a + 1], ARGV[a + 2]
  local p = redis.call('XPENDING', stream, group, eid, eid, 1)
  if not seen[eid] and #p == 1 and tonumber(p[1][3]) >= lease and string.sub(p[1][2], 1, 1) ~= '~' then
    seen[eid] = true
    local owner = p[1][2]
    local it, rt = redis.call('TYPE', index).ok, redis.call('TYPE', record).ok
    if (it ~= 'hash' and it ~= 'none') or (rt ~= 'hash' and rt ~= 'none') then
      skipped[#skipped + 1] = (it ~= 'hash' and it ~= 'none') and index or record
      plan[i] = {what = 'skip', owner = owner}
    elseif id == '' then
      local trimmed = #redis.call('XRANGE', stream, eid, eid) == 0
      plan[i] = {what = 'tombstone', id = 'entry-' .. eid, exists = rt == 'hash',
        why = trimmed and 'stream entry deleted while pending (trimmed outside Baton?)'
          or 'stream entry ' .. eid .. ' has no task id (written outside Baton)'}
    else
      local v = redis.call('HGET', index, id)
      local e = redis.call('XRANGE', stream, eid, eid)
      local f = {}
      if e[1] then
        local kv = e[1][2]
        for x = 1, #kv, 2 do f[kv[x]] = kv[x + 1] end
      end
      local first = v and string.sub(v, 1, 1) or ''
      if not v then
        plan[i] = {what = 'tombstone', id = id, exists = false, why = 'task record missing for stream entry ' .. eid}
      elseif first == 'd' or first == 'k' or first == 'x' then
        plan[i] = {what = 'clean'}
      elseif string.match(first, '%d') or first == 'q' or first == 'i' then
        local dn, att, nol, flt, veid = countsOf(v)
        if veid ~= eid then
          plan[i] = {what = 'clean'}
        else
          plan[i] = {what = 'take', id = id, dn = dn, att = att, nol = nol + 1, flt = flt, isolated = first == 'i',
            p = f['p'], o = f['o'], exists = rt == 'hash'}
        end
      else
        plan[i] = {what = 'dead', id = id, p = f['p'], o = f['o'], exists = rt == 'hash',
          why = 'unknown task state \'' .. string.sub(v, 1, 64) .. '\''}
      end
    end
  end
end

-- writes: none of these can fail on a key's type any more
local recovered, deadLettered, cleaned = 0, 0, 0
local recoveredIds, deadIds = {}, {}
local function count(field, ok)
  if ok then redis.call('HINCRBY', stats, field, 1) else redis.call('HSET', stats, field, 1) end
end
local function deadLetter(i, id, why, p, o, exists, extra)
  local index, record = KEYS[2 + 2 * i], KEYS[3 + 2 * i]
  local eid = ARGV[4 + 2 * (i - 1) + 1]
  if not exists then
    redis.call('HSET', record, 'id', id, 'ct', string.match(eid, '^(%d+)') or now, 'att', 0, 'dn', 1)
  end
  redis.call('HSET', record, 'st', 'dead', 'ft', now, 'why', why)
  if p then redis.call('HSET', record, 'p', p) end
  if o then redis.call('HSET', record, 'o', o) end
  if extra then redis.call('HSET', record, unpack(extra)) end
  redis.call('ZADD', dead, now, id)
  redis.call('HSET', index, id, 'x')
  count('dead', deadOk)
  deadOk = true
  deadLettered = deadLettered + 1
  deadIds[#deadIds + 1] = id
end

for i = 1, n do
  local w = plan[i]
  local eid = ARGV[4 + 2 * (i - 1) + 1]
  if w and w.what == 'skip' then
    redis.call('XCLAIM', stream, group, w.owner, 0, eid, 'JUSTID')
  elseif w and w.what == 'take' then
    local index = KEYS[2 + 2 * i]
    if w.nol >= maxDeliveries and w.isolated then
      redis.call('XACK', stream, group, eid)
      redis.call('XDEL', stream, eid)
      deadLetter(i, w.id, 'max deliveries exceeded: ' .. w.nol .. ' deliveries ended without an outcome, the last '
        .. 'one run alone', w.p, w.o, w.exists, {'nol', w.nol, 'att', w.att, 'dn', w.dn, 'flt', w.flt})
    else
      local to = w.nol >= 2 and '~suspect' or '~recovered'
      redis.call('XCLAIM', stream, group, to, 0, eid, 'JUSTID')
      redis.call('HSET', index, w.id, 'q' .. (w.dn + 1) .. ',' .. w.att .. ',' .. w.nol .. ',' .. w.flt .. ',' .. eid)
      count('recovered', recoveredOk)
      recoveredOk = true
      recovered = recovered + 1
      recoveredIds[#recoveredIds + 1] = w.id
    end
  elseif w then
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
    if w.what == 'clean' then
      cleaned = cleaned + 1
    elseif w.what == 'tombstone' then
      deadLetter(i, w.id, w.why, nil, nil, w.exists)
    else
      deadLetter(i, w.id, w.why, w.p, w.o, w.exists)
    end
  end
end

local unnotified = false
if #deadIds > 0 then
  local r = redis.pcall('PUBLISH', channel, table.concat(deadIds, ' '))
  if type(r) == 'table' and r.err then unnotified = r.err end
end
return {recovered, deadLettered, cleaned, recoveredIds, deadIds, unnotified, skipped}
