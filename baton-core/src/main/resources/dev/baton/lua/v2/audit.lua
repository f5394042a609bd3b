--[[
audit (layout v2, docs/hot-path-v2.md): look at tasks of the index (the janitor finds their ids
with HSCAN, one bounded page of index buckets per round) that no script will ever move on again,
and repair them or dead-letter them with the reason, as layout 1's audit.lua does for records.

By index value (re-read here: the janitor's page may be stale):
  '<eid>', 'q…,<eid>', 'i…,<eid>'  waiting or running: when the entry is gone from the stream
                         and from the pending list (a raw XTRIM/XDEL, a MAXLEN set by another
                         client, an evicting Redis), nothing would ever run it again: dead-lettered
                         with 'stream entry <eid> deleted outside Baton'. An entry still pending is
                         left to the recoverer.
  'd'                    not in delayed: ZADD delayed at the record's sa (now when it is not a
                         number), so the promoter moves it on (or dead-letters it without a payload)
  'k'                    not in parked: ZADD parked at sa (now), so the unparker reconsiders it
  'x'                    not in dead: ZADD dead at ft (now), so it can be listed, replayed, purged
Any other value is left alone. A repair counts nothing in stats and publishes nothing.

A dead-lettered task's record gets (beside what it held: payload, options, history when it was
retried before) id, st 'dead', ct (its first entry's time when it has none), dn, att, nol, flt
(from its index value), why and ft; its index value becomes 'x'.

KEYS[1]   stream   P:{Q}:stream    STREAM
KEYS[2]   dead     P:{Q}:dead      ZSET
KEYS[3]   stats    P:{Q}:stats     HASH  counter 'dead'
KEYS[4]   delayed  P:{Q}:delayed   ZSET
KEYS[5]   parked   P:{Q}:parked    ZSET
then two per task i:
KEYS[4+2i] index   P:{Q}:ix:<b_i>    HASH
KEYS[5+2i] record  P:{Q}:task:<id_i> HASH

ARGV[1]   consumer group
ARGV[2]   channel for terminal events
ARGV[2+i] task id i

Returns {deadLettered, repaired, deadIds, repairedIds[, unnotified]}: the counts, then the ids; a
fifth element, the Redis error, only when the PUBLISH of a dead-lettered id was refused.

No half-applied call (a script that fails after a write is not rolled back): stream, dead,
delayed and parked are type-checked and the stats counter read (a value that is not an integer is
started again), and every index value (HGET), record (HMGET), entry (XRANGE, XPENDING) and set
membership (ZSCORE) is read, before the first write. A key of the wrong type fails the call with
'WRONGTYPE audit.lua: key <key> holds a <type>, not a <type>; nothing was written'. The PUBLISH of
the dead-lettered ids comes after every write, through redis.pcall.
]]
local stream, dead, stats, delayed, parked = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, channel = ARGV[1], ARGV[2]
local n = #ARGV - 2
if n < 0 or #KEYS ~= 5 + 2 * n then
  return redis.error_reply('ERR audit.lua: ' .. #KEYS .. ' keys and ' .. #ARGV .. ' arguments do not describe whole tasks')
end

local SCRIPT = 'audit.lua'
--@include v2

local streamType = expect(stream, 'stream')
expect(dead, 'zset'); expect(delayed, 'zset'); expect(parked, 'zset')
local c = checked(redis.pcall('HGET', stats, 'dead'), stats, 'hash')
local deadOk = c == false or (string.match(c, '^%-?%d+$') ~= nil and #c <= 18)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- the set each parked state belongs in, and the record's field that holds its score there
local HOME = {d = {delayed, 'sa'}, k = {parked, 'sa'}, x = {dead, 'ft'}}

-- reads: every task, before anything is written
local plan, seen = {}, {}
for i = 1, n do
  local id, index, record = ARGV[2 + i], KEYS[4 + 2 * i], KEYS[5 + 2 * i]
  if not seen[id] then
    seen[id] = true
    local v = checked(redis.pcall('HGET', index, id), index, 'hash')
    local f = checked(redis.pcall('HMGET', record, 'sa', 'ft', 'ct'), record, 'hash')
    if v and HOME[v] then
      local home = HOME[v]
      if not checked(redis.pcall('ZSCORE', home[1], id), home[1], 'zset') then
        local score = home[2] == 'sa' and f[1] or f[2]
        plan[i] = {'home', home[1], tonumber(score) or now}
      end
    elseif v then
      local eid, dn, att, nol, flt = v, 1, 0, 0, 0
      local first = string.sub(v, 1, 1)
      if first == 'q' or first == 'i' then
        local a, b, d, e, g = string.match(v, '^[qi](%d+),(%d+),(%d+),(%d+),(.+)$')
        if a then dn, att, nol, flt, eid = tonumber(a), tonumber(b), tonumber(d), tonumber(e), g else eid = nil end
      elseif not string.match(v, '^%d+%-%d+$') then
        eid = nil -- a value Baton does not write: left alone
      end
      if eid then
        local gone = streamType == 'none' or #redis.call('XRANGE', stream, eid, eid) == 0
        if gone and streamType ~= 'none' and #redis.pcall('XPENDING', stream, group, eid, eid, 1) > 0 then
          gone = false -- still pending: the recoverer's
        end
        if gone then
          local ct = tonumber(f[3]) or tonumber(string.match(eid, '^(%d+)')) or now
          plan[i] = {'dead', 'stream entry ' .. eid .. ' deleted outside Baton', ct, dn, att, nol, flt}
        end
      end
    end
  end
end

-- writes: none of these can fail on a key's type any more
local deadIds, repairedIds = {}, {}
for i = 1, n do
  local p = plan[i]
  if p then
    local id, index, record = ARGV[2 + i], KEYS[4 + 2 * i], KEYS[5 + 2 * i]
    if p[1] == 'dead' then
      redis.call('HSET', record, 'id', id, 'st', 'dead', 'ct', p[3], 'dn', p[4], 'att', p[5], 'nol', p[6],
        'flt', p[7], 'why', p[2], 'ft', now)
      redis.call('ZADD', dead, now, id)
      redis.call('HSET', index, id, 'x')
      if deadOk then redis.call('HINCRBY', stats, 'dead', 1) else redis.call('HSET', stats, 'dead', 1); deadOk = true end
      deadIds[#deadIds + 1] = id
    else
      redis.call('ZADD', p[2], p[3], id)
      repairedIds[#repairedIds + 1] = id
    end
  end
end
local out = {#deadIds, #repairedIds, deadIds, repairedIds}
for _, id in ipairs(deadIds) do
  -- last, and through pcall: a refused PUBLISH leaves the call whole and is reported
  local r = redis.pcall('PUBLISH', channel, id)
  if type(r) == 'table' and r.err then out[5] = r.err; break end
end
return out
