--[[
breaker-check: included by breaker-acquire and breaker-record right after they read the breaker
(Script.java puts this file in place of the line '--@include breaker-check'). Needs breaker,
probes, window, now, and cur = HMGET breaker st gen since until ok wc wf ws.

A breaker hash edited outside Baton (an unknown st; gen, since, until, ok, wc, wf or ws not an
integer) is reset, before anything else is written, to a fresh closed breaker in the next gen
(probes and window deleted): a breaker cannot be trusted half-read, and failing every call
would stop the dependency's callers for good. The reset is reported: the reply is wrapped as
{'REPAIRED', {{key, field, old value}}, reply}, which the Java runner unwraps and logs at WARN.
]]
--@include repaired
local function integer(v) return not v or (string.match(v, '^-?%d+$') ~= nil and string.len(v) <= 15) end
do
  local names = {'st', 'gen', 'since', 'until', 'ok', 'wc', 'wf', 'ws'}
  local bad
  if cur[1] and cur[1] ~= 'closed' and cur[1] ~= 'open' and cur[1] ~= 'half_open' then bad = 1 end
  for i = 2, 8 do
    if not bad and not integer(cur[i]) then bad = i end
  end
  if not bad and cur[1] == 'open' and not cur[4] then bad = 4 end
  if bad then
    repaired[1] = {breaker, names[bad], string.sub(tostring(cur[bad]), 1, 40)}
    local nextGen = (integer(cur[2]) and tonumber(cur[2] or '0') or 0) + 1
    redis.call('HSET', breaker, 'st', 'closed', 'gen', nextGen, 'since', now, 'ok', 0, 'wc', 0, 'wf', 0, 'ws', 0)
    redis.call('HDEL', breaker, 'until')
    redis.call('DEL', probes, window)
    cur = {'closed', tostring(nextGen), tostring(now), nil, '0', '0', '0', '0'}
  end
end
