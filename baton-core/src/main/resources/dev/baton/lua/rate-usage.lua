--[[
rate-usage: units in the current window of one or more keys of a rate limit.
Read-only: it neither trims nor extends TTLs, so looking does not keep a key alive.

KEYS[2i-1]  log  P:{limit:<name>}:rate:<key_i>      ZSET  member "<id>|<units>", score granted at (ms)
KEYS[2i]    sum  P:{limit:<name>}:rate-sum:<key_i>  STRING

ARGV[1]  interval (ms)
ARGV[2]  now (ms) for tests; '' in production, meaning Redis TIME

Returns {now, used_1, used_2, ...}: used_i = units granted in (now - interval, now].
]]
local interval = tonumber(ARGV[1])
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local horizon = string.format('%d', now - interval)

local out = {now}
for i = 1, #KEYS, 2 do
  local used = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  local old = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', horizon)
  for j = 1, #old do
    used = used - tonumber(string.match(old[j], '|(%d+)$'))
  end
  out[#out + 1] = math.max(used, 0)
end
return out
