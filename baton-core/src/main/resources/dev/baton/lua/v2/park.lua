--[[
park (layout v2, docs/hot-path-v2.md): set aside a delivered task whose dependency is unavailable
(breaker open, the dependency reported down, or rate-limited), fenced on the worker's token,
together with the XACK and XDEL of its entry. The attempt it was running is not charged. Its
payload and options move from the entry into its record (created here when it has none).

KEYS[1] stream   P:{Q}:stream     STREAM
KEYS[2] parked   P:{Q}:parked     ZSET  member id, score when to reconsider it (ms, server clock)
KEYS[3] parking  P:{Q}:parking    HASH  n:<dep> parked count per dependency
KEYS[4] stats    P:{Q}:stats      HASH  counter 'parked'
KEYS[5] index    P:{Q}:ix:<b>     HASH  id -> state
KEYS[6] record   P:{Q}:task:<id>  HASH

ARGV[1] consumer group
ARGV[2] task id
ARGV[3] token the worker holds
ARGV[4] dependency name
ARGV[5] reason (plain text)
ARGV[6] reconsider after this many ms, relative to server time
ARGV[7] kind: 'open' (breaker open), 'unavailable' (dependency down) or 'rate' (rate-limited)

The reconsider time is capped by the task's own deadline (ct + mw, mw from its options) when it
has a max wait, so a task past its deadline is ended by unpark without waiting for the
dependency. The record after the call holds, beside the fields fail.lua writes (without err),
st 'parked', dep, pr, pk, pa (parked at), sa (reconsider at) and pn (times parked); the index
value becomes 'k'.

Returns {OK, 'parked', reconsiderAtMs}; {NOT_HELD, state} fence rejected, nothing written;
{NOT_FOUND, ''} the task is in no index.

No half-applied call: the index field (HGET), the record (TYPE, HMGET), the entry (XRANGE, which
fails on a wrong-typed stream), parked (TYPE), the parking count and the stats counter (HGET each;
a value that is not an integer is started again) are read before the first write. A key of the
wrong type fails the call with 'WRONGTYPE park.lua: key <key> holds a <type>, not a <type>;
nothing was written'. A payload lost with its entry (deleted outside Baton) is parked all the
same and dead-lettered by unpark with the reason. park does not publish.

Status codes (ScriptStatus):
  OK          1  parked
  NOT_HELD   -1  fence rejected: nothing written (the task's state is returned)
  NOT_FOUND  -2  the task is in no index: nothing written
]]
local OK, NOT_HELD, NOT_FOUND = 1, -1, -2
local stream, parked, parking, stats, index, record = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local group, id, token, dep, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local afterMs, kind = tonumber(ARGV[6]), ARGV[7]
if not afterMs then return redis.error_reply('ERR park.lua: the reconsider delay must be an integer') end

local SCRIPT = 'park.lua'
--@include v2

local v = checked(redis.pcall('HGET', index, id), index, 'hash')
if not v then return {NOT_FOUND, ''} end
if v ~= token then return {NOT_HELD, stateOf(v)} end
local dn, att, nol, flt, eid = countsOf(token)

local payload, options, created, times
if expect(record, 'hash') == 'hash' then
  local r = redis.call('HMGET', record, 'p', 'o', 'ct', 'pn')
  payload, options, created, times = r[1], r[2], r[3], r[4]
end
local e = checked(redis.pcall('XRANGE', stream, eid, eid), stream, 'stream')
if e[1] then
  local kv = e[1][2]
  for x = 1, #kv, 2 do
    if kv[x] == 'p' then payload = kv[x + 1] elseif kv[x] == 'o' then options = kv[x + 1] end
  end
end
created = tonumber(created) or tonumber(string.match(eid, '^(%d+)')) or 0
expect(parked, 'zset')
local parkingOk, statsOk = counterOk(parking, 'n:' .. dep), counterOk(stats, 'parked')

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = now + math.max(0, afterMs)
if options then
  local ok, o = pcall(cjson.decode, options)
  local mw = ok and type(o) == 'table' and tonumber(o['mw']) or nil
  if mw and mw > 0 then at = math.min(at, created + mw) end
end

-- writes: none of these can fail on a key's type any more
redis.call('XACK', stream, group, eid)
redis.call('XDEL', stream, eid)
redis.call('HSET', record, 'id', id, 'st', 'parked', 'ct', created, 'att', att, 'dn', dn, 'nol', nol, 'flt', flt,
  'dep', dep, 'pr', reason, 'pk', kind, 'pa', now, 'sa', at, 'pn', (tonumber(times) or 0) + 1)
if payload then redis.call('HSET', record, 'p', payload) end
if options then redis.call('HSET', record, 'o', options) end
redis.call('ZADD', parked, at, id)
redis.call('HSET', index, id, 'k')
if parkingOk then redis.call('HINCRBY', parking, 'n:' .. dep, 1) else redis.call('HSET', parking, 'n:' .. dep, 1) end
if statsOk then redis.call('HINCRBY', stats, 'parked', 1) else redis.call('HSET', stats, 'parked', 1) end
return {OK, 'parked', at}
