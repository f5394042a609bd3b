--[[
breaker-acquire: ask one dependency's circuit breaker for permission to call it.

State table (the only legal transitions; breaker-record holds the others):
  closed    -> open       breaker-record: failure or slow-call rate over the threshold
  open      -> half_open  breaker-acquire (here): the wait in open has passed
  half_open -> closed     breaker-record: enough probes succeeded
  half_open -> open       breaker-record: a probe failed or was slow
Every transition adds 1 to gen, so an outcome recorded under an older gen is ignored.

KEYS[1] breaker  P:{dep:<name>}:breaker  HASH  st, gen, since, until, ok, wc, wf, ws
KEYS[2] probes   P:{dep:<name>}:probes   ZSET  member probe id, score lease end (ms, server clock)
KEYS[3] window   P:{dep:<name>}:window   LIST (count window) or HASH (time window)
KEYS[4] events   P:{dep:<name>}:events   STREAM  one entry per transition

ARGV[1] permitted probes in half_open (fleet-wide)
ARGV[2] probe lease ms: a probe not recorded within it frees its slot (its worker died)
ARGV[3] probe id (unique per call)
ARGV[4] events stream cap (approximate MAXLEN)
ARGV[5] channel for transitions (PUBLISH "from>to:gen")

Returns {code, state, gen, retryAfterMs, movedAt}: movedAt is when this call moved the
breaker from open to half_open (ms, server clock), or 0 (or absent) when it did not.

Status codes (ScriptStatus):
  OK        1  allowed (closed)
  PROBE     2  allowed as a probe (half_open, lease taken)
  REFUSED   0  denied: open (retryAfterMs = time left in open) or half_open with every probe
               slot taken

No half-applied call (a script that fails after a write is not rolled back): the breaker is
read first (HMGET); the first write of a probe is to the probes (ZREMRANGEBYSCORE), which
fails on a wrong-typed key before anything is written; the transition open -> half_open
rewrites the breaker (read above) and deletes the probes (DEL takes any type). A wrong-typed
key fails the call with 'WRONGTYPE breaker-acquire.lua: key <key> holds a <type>, not a
<type>; nothing was written'. The transition's event (XADD events) and its PUBLISH come after
its writes, through redis.pcall: they only tell observers, so a wrong-typed events key or an
ACL that denies the channel leaves the transition whole, and the refusal is returned as a
sixth element of the reply (written, not notified). No extra command.
]]
local OK, PROBE, REFUSED = 1, 2, 0
local breaker, probes, window, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local permitted, leaseMs, probeId = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local eventsCap, channel = ARGV[4], ARGV[5]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function wrongType(key, want)
  error({err = 'WRONGTYPE breaker-acquire.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local cur = redis.pcall('HMGET', breaker, 'st', 'gen', 'since', 'until', 'ok', 'wc', 'wf', 'ws')
if cur.err then wrongType(breaker, 'hash') end
--@include breaker-check (dev/baton/lua/include/breaker-check.lua: the reset of an unreadable breaker, reply)
local unnotified
local movedAt = 0
local st, gen = cur[1] or 'closed', tonumber(cur[2] or '0')

if st == 'closed' then
  return reply({OK, st, gen, 0})
end
if st == 'open' then
  local openUntil = tonumber(cur[4] or '0')
  if now < openUntil then
    return reply({REFUSED, st, gen, openUntil - now})
  end
  -- open -> half_open: the wait is over; a fresh probe round starts
  gen = gen + 1
  redis.call('HSET', breaker, 'st', 'half_open', 'gen', gen, 'since', now, 'ok', 0)
  redis.call('HDEL', breaker, 'until')
  redis.call('DEL', probes)
  -- the observers' copies, last and through pcall: a refusal leaves the transition whole
  local logged = redis.pcall('XADD', events, 'MAXLEN', '~', eventsCap, '*',
    'from', 'open', 'to', 'half_open', 'gen', gen, 'at', now, 'reason', 'wait in open elapsed')
  if type(logged) == 'table' and logged.err then unnotified = logged.err end
  local published = redis.pcall('PUBLISH', channel, 'open>half_open:' .. gen)
  if type(published) == 'table' and published.err then unnotified = published.err end
  st = 'half_open'
  cur[5] = '0'
  movedAt = now
end
-- half_open: a probe slot is free while in-flight probes plus successes stay under the limit;
-- leases that ran out give their slot back
local trimmed = redis.pcall('ZREMRANGEBYSCORE', probes, '-inf', now) -- the first write, unless moved above
if type(trimmed) == 'table' and trimmed.err then wrongType(probes, 'zset') end
local inFlight = redis.call('ZCARD', probes)
local ok = tonumber(cur[5] or '0')
if inFlight + ok < permitted then
  redis.call('ZADD', probes, now + leaseMs, probeId)
  return reply({PROBE, st, gen, 0, movedAt, unnotified})
end
return reply({REFUSED, st, gen, 0, movedAt, unnotified})
