--[[
breaker-record: record the outcome of one call and apply the transitions it causes, atomically.

Transitions (see breaker-acquire for the whole table):
  closed    -> open    after at least min calls in the window, failure rate >= threshold
                       or slow-call rate >= threshold
  half_open -> open    the probe failed or was slow
  half_open -> closed  permitted probes succeeded
An outcome recorded under another gen than the current one (the call was allowed before a
transition) changes nothing; so does one recorded while open. No other transition exists.

KEYS[1] breaker  P:{dep:<name>}:breaker  HASH  st, gen, since, until, ok, wc, wf, ws, wt, wsz
KEYS[2] probes   P:{dep:<name>}:probes   ZSET  member probe id, score lease end (ms)
KEYS[3] window   P:{dep:<name>}:window   count: LIST of outcome codes, oldest first;
                                         time: HASH c<sec>, f<sec>, s<sec> -> counts per second
KEYS[4] events   P:{dep:<name>}:events   STREAM

ARGV[1]  gen returned by breaker-acquire
ARGV[2]  probe id ('' when the call was not a probe)
ARGV[3]  outcome: 'success', 'failure' or 'ignore' (says nothing about the dependency:
         a probe's slot is given back, nothing is counted)
ARGV[4]  slow: '1' when the call took at least the slow-call duration
ARGV[5]  window type: 'count' or 'time'
ARGV[6]  window size: calls (count) or seconds (time)
ARGV[7]  minimum calls before rates are evaluated
ARGV[8]  failure rate threshold, percent (0-100]
ARGV[9]  slow-call rate threshold, percent (0-100]
ARGV[10] permitted probes in half_open
ARGV[11] wait in open, ms
ARGV[12] events stream cap
ARGV[13] channel for transitions

Returns {code, state, gen, from, reason, at[, unnotified]}: state and gen are the breaker's
after the call; when this call made a transition, from is the state before it, reason why
and at when (ms, server clock); otherwise from and reason are '' (and only the first three
elements may be present). unnotified: the Redis error, only when the transition's event
(XADD events) or PUBLISH was refused.

No half-applied call (a script that fails after a write is not rolled back): the breaker is
read first (HMGET); in half_open the first write is the ZREM of the probe, in closed the
window's (RPUSH or HINCRBY, before the breaker's HSET), each failing on a wrong-typed key
before anything is written; a transition rewrites the breaker (read above) and deletes the
probes and window (DEL takes any type). A wrong-typed key fails the call with 'WRONGTYPE
breaker-record.lua: key <key> holds a <type>, not a <type>; nothing was written'. The
transition's event (XADD events) and PUBLISH come after its writes, through redis.pcall:
they only tell observers, so a wrong-typed events key or an ACL that denies the channel
leaves the transition whole, and the refusal is returned as the seventh element (written,
not notified). No extra command.

Status codes (ScriptStatus):
  OK          1  recorded
  UNCHANGED   0  ignored (stale gen, open, unknown probe, or an ignored outcome while closed)
]]
local OK, UNCHANGED = 1, 0
local breaker, probes, window, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local callGen, probeId, outcome, slow = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4] == '1'
local windowType, windowSize, minCalls = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local failThreshold, slowThreshold = tonumber(ARGV[8]), tonumber(ARGV[9])
local permitted, waitMs, eventsCap, channel = tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12], ARGV[13]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function wrongType(key, want)
  error({err = 'WRONGTYPE breaker-record.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local cur = redis.pcall('HMGET', breaker, 'st', 'gen', 'since', 'until', 'ok', 'wc', 'wf', 'ws')
if cur.err then wrongType(breaker, 'hash') end
--@include breaker-check (dev/baton/lua/include/breaker-check.lua: the reset of an unreadable breaker, reply)
local unnotified
-- a write that is the first of its path: a key of the wrong type fails it before anything is written
local function first(key, want, ...)
  local r = redis.pcall(...)
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'WRONGTYPE', 1, true) then wrongType(key, want) end
    error(r)
  end
  return r
end
local st, gen = cur[1] or 'closed', tonumber(cur[2] or '0')
local failed = outcome == 'failure'

local movedFrom, movedReason = '', ''
local legal = {closed = {open = true}, open = {half_open = true}, half_open = {closed = true, open = true}}

local function transition(to, reason)
  if not legal[st] or not legal[st][to] then
    return redis.error_reply('ERR breaker-record: illegal transition ' .. st .. ' -> ' .. to)
  end
  gen = gen + 1
  redis.call('HSET', breaker, 'st', to, 'gen', gen, 'since', now, 'ok', 0, 'wc', 0, 'wf', 0, 'ws', 0)
  if to == 'open' then
    redis.call('HSET', breaker, 'until', now + waitMs)
  else
    redis.call('HDEL', breaker, 'until')
  end
  redis.call('DEL', probes, window)
  -- the observers' copies, last and through pcall: a refusal leaves the transition whole
  local logged = redis.pcall('XADD', events, 'MAXLEN', '~', eventsCap, '*',
    'from', st, 'to', to, 'gen', gen, 'at', now, 'reason', reason)
  if type(logged) == 'table' and logged.err then unnotified = logged.err end
  local published = redis.pcall('PUBLISH', channel, st .. '>' .. to .. ':' .. gen)
  if type(published) == 'table' and published.err then unnotified = published.err end
  movedFrom, movedReason = st, reason
  st = to
  return nil
end

if callGen ~= gen or st == 'open' then
  return reply({UNCHANGED, st, gen})
end

if st == 'half_open' then
  if probeId == '' or first(probes, 'zset', 'ZREM', probes, probeId) == 0 then
    return reply({UNCHANGED, st, gen})
  end
  local err
  if outcome == 'ignore' then
    return reply({OK, st, gen})
  elseif failed then
    err = transition('open', 'probe failed')
  elseif slow then
    err = transition('open', 'probe was slow')
  else
    local ok = redis.call('HINCRBY', breaker, 'ok', 1)
    if ok >= permitted then
      err = transition('closed', ok .. ' probes succeeded')
    end
  end
  if err then return err end
  return reply({OK, st, gen, movedFrom, movedReason, now, unnotified})
end

-- closed: add the call to the sliding window, then evaluate the rates
if outcome == 'ignore' then
  return reply({UNCHANGED, st, gen})
end
local calls, failures, slows = 0, 0, 0
if windowType == 'count' then
  local code = (failed and 'f' or 'o') .. (slow and 's' or '')
  first(window, 'list', 'RPUSH', window, code)
  redis.call('HSET', breaker, 'st', st, 'gen', gen, 'wt', windowType, 'wsz', windowSize)
  redis.call('HINCRBY', breaker, 'wc', 1)
  if failed then redis.call('HINCRBY', breaker, 'wf', 1) end
  if slow then redis.call('HINCRBY', breaker, 'ws', 1) end
  if redis.call('LLEN', window) > windowSize then
    local old = redis.call('LPOP', window)
    redis.call('HINCRBY', breaker, 'wc', -1)
    if string.sub(old, 1, 1) == 'f' then redis.call('HINCRBY', breaker, 'wf', -1) end
    if string.sub(old, 2, 2) == 's' then redis.call('HINCRBY', breaker, 'ws', -1) end
  end
  local c = redis.call('HMGET', breaker, 'wc', 'wf', 'ws')
  calls, failures, slows = tonumber(c[1] or '0'), tonumber(c[2] or '0'), tonumber(c[3] or '0')
else
  local sec = math.floor(now / 1000)
  first(window, 'hash', 'HINCRBY', window, 'c' .. sec, 1)
  redis.call('HSET', breaker, 'st', st, 'gen', gen, 'wt', windowType, 'wsz', windowSize)
  if failed then redis.call('HINCRBY', window, 'f' .. sec, 1) end
  if slow then redis.call('HINCRBY', window, 's' .. sec, 1) end
  local all = redis.call('HGETALL', window)
  for i = 1, #all, 2 do
    local field, n = all[i], tonumber(all[i + 1])
    local kind, at = string.sub(field, 1, 1), tonumber(string.sub(field, 2))
    if not n or not at or at <= sec - windowSize then -- old, or not Baton's: dropped
      redis.call('HDEL', window, field)
    elseif kind == 'c' then calls = calls + n
    elseif kind == 'f' then failures = failures + n
    else slows = slows + n end
  end
end

local err
if calls >= math.min(minCalls, windowType == 'count' and windowSize or minCalls) then
  local failRate, slowRate = failures * 100 / calls, slows * 100 / calls
  if failRate >= failThreshold then
    err = transition('open', string.format('failure rate %.1f%% >= %g%% over %d calls', failRate, failThreshold, calls))
  elseif slowRate >= slowThreshold then
    err = transition('open', string.format('slow-call rate %.1f%% >= %g%% over %d calls', slowRate, slowThreshold, calls))
  end
end
if err then return err end
return reply({OK, st, gen, movedFrom, movedReason, now, unnotified})
