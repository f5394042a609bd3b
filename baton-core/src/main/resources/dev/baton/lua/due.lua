--[[
due: list delayed tasks whose time has come, by server time. Read-only.
The promote script re-checks every member, so a stale answer is harmless.

KEYS[1] delayed  P:{Q}:delayed  ZSET  member id, score due time (ms, server clock)

ARGV[1] at most this many ids

Returns {msUntilNextDue, id...}: msUntilNextDue is -1 when nothing further waits,
0 when more are due than were returned.
]]
local delayed = KEYS[1]
local limit = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local ids = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, limit)
local nextDue = -1
if #ids >= limit then
  nextDue = 0
else
  local first = redis.call('ZRANGEBYSCORE', delayed, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #first > 0 then nextDue = tonumber(first[2]) - now end
end
local out = {nextDue}
for i = 1, #ids do out[i + 1] = ids[i] end
return out
