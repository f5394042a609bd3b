--[[
permit-usage: permits in use (leases not yet run out) of one or more keys of a
concurrency limit. Read-only.

KEYS[i]  holders  P:{limit:<name>}:permits:<key_i>  ZSET  member permit token, score lease expiry (ms)

ARGV[1]  now (ms) for tests; '' in production, meaning Redis TIME

Returns {now, inUse_1, inUse_2, ...}.
]]
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local out = {now}
for i = 1, #KEYS do
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i], '(' .. string.format('%d', now), '+inf')
end
return out
