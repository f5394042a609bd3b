--[[
breaker-state: read one dependency's breaker. Read-only.

KEYS[1] breaker  P:{dep:<name>}:breaker  HASH
KEYS[2] probes   P:{dep:<name>}:probes   ZSET
KEYS[3] window   P:{dep:<name>}:window   LIST (count) or HASH (time)

No ARGV: the window type and size are read from the hash (wt, wsz), where breaker-record
keeps the latest caller's configuration.

Returns {state, gen, sinceMs, openRemainingMs, calls, failures, slowCalls, probesInFlight,
probeSuccesses, nowMs}. A breaker never written reads as closed, gen 0. openRemainingMs is 0
unless open; an open breaker whose wait has passed reports 0 and turns half_open at the next
acquire. probesInFlight counts unexpired leases only.
]]
local breaker, probes, window = KEYS[1], KEYS[2], KEYS[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local c = redis.call('HMGET', breaker, 'st', 'gen', 'since', 'until', 'ok', 'wc', 'wf', 'ws', 'wt', 'wsz')
local windowType, windowSize = c[9] or 'count', tonumber(c[10] or '0')
local st = c[1] or 'closed'
local remaining = 0
if st == 'open' then remaining = math.max(0, tonumber(c[4] or '0') - now) end
local calls, failures, slows = tonumber(c[6] or '0'), tonumber(c[7] or '0'), tonumber(c[8] or '0')
if windowType == 'time' then
  calls, failures, slows = 0, 0, 0
  local sec = math.floor(now / 1000)
  local all = redis.call('HGETALL', window)
  for i = 1, #all, 2 do
    local field, n = all[i], tonumber(all[i + 1])
    local kind, at = string.sub(field, 1, 1), tonumber(string.sub(field, 2))
    if at > sec - windowSize then
      if kind == 'c' then calls = calls + n
      elseif kind == 'f' then failures = failures + n
      else slows = slows + n end
    end
  end
end
local inFlight = redis.call('ZCOUNT', probes, '(' .. now, '+inf')
return {st, tonumber(c[2] or '0'), tonumber(c[3] or '0'), remaining, calls, failures, slows, inFlight,
  tonumber(c[5] or '0'), now}
