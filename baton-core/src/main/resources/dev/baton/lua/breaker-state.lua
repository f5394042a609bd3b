--[[
breaker-state: read one dependency's breaker. Read-only.

KEYS[1] breaker  P:{dep:<name>}:breaker  HASH
KEYS[2] probes   P:{dep:<name>}:probes   ZSET
KEYS[3] window   P:{dep:<name>}:window   LIST (count) or HASH (time)

No ARGV: the window type and size are read from the hash (wt, wsz), where breaker-record
keeps the latest caller's configuration.

Returns {state, gen, sinceMs, openRemainingMs, calls, failures, slowCalls, probesInFlight,
probeSuccesses, nowMs, malformed}. A breaker never written reads as closed, gen 0. openRemainingMs is 0
unless open; an open breaker whose wait has passed reports 0 and turns half_open at the next
acquire. probesInFlight counts unexpired leases only. malformed: '' for a breaker Baton can read;
otherwise which field is not (an unknown st, a count that is not an integer), and the figures read
as 0 where they could not be read.
]]
local breaker, probes, window = KEYS[1], KEYS[2], KEYS[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local c = redis.call('HMGET', breaker, 'st', 'gen', 'since', 'until', 'ok', 'wc', 'wf', 'ws', 'wt', 'wsz')
-- a field edited outside Baton is reported, not fatal: the listing of every breaker goes on, and the
-- next breaker-acquire or breaker-record resets such a breaker to a fresh closed one
local names = {'st', 'gen', 'since', 'until', 'ok', 'wc', 'wf', 'ws', 'wt', 'wsz'}
local malformed = ''
local function int(i)
  local v = c[i]
  if not v then return 0 end
  if string.match(v, '^-?%d+$') and string.len(v) <= 15 then return tonumber(v) end
  if malformed == '' then malformed = names[i] .. ' is not an integer: ' .. string.sub(v, 1, 40) end
  return 0
end
local st = c[1] or 'closed'
if st ~= 'closed' and st ~= 'open' and st ~= 'half_open' then
  malformed = 'unknown state: ' .. string.sub(st, 1, 40)
  st = 'closed'
end
local gen, since, openUntil, okCount = int(2), int(3), int(4), int(5)
local calls, failures, slows = int(6), int(7), int(8)
local windowType, windowSize = c[9] or 'count', int(10)
local remaining = 0
if st == 'open' then remaining = math.max(0, openUntil - now) end
if windowType == 'time' then
  calls, failures, slows = 0, 0, 0
  local sec = math.floor(now / 1000)
  local all = redis.call('HGETALL', window)
  for i = 1, #all, 2 do
    local field, n = all[i], tonumber(all[i + 1])
    local kind, at = string.sub(field, 1, 1), tonumber(string.sub(field, 2))
    if n and at and at > sec - windowSize then
      if kind == 'c' then calls = calls + n
      elseif kind == 'f' then failures = failures + n
      else slows = slows + n end
    end
  end
end
local inFlight = redis.call('ZCOUNT', probes, '(' .. now, '+inf')
return {st, gen, since, remaining, calls, failures, slows, inFlight, okCount, now, malformed}
