--[[
permit-renew: extend a held permit's lease to now + lease (the caller's heartbeat
for a long call). Fenced by the permit token: a permit that was released, or
whose lease ran out (its slot may already belong to another caller), cannot be
renewed.

KEYS[1]  holders  P:{limit:<name>}:permits:<key>  ZSET  member permit token, score lease expiry (ms)
KEYS[2]  index    P:{limit:<name>}:permit-keys    ZSET  member key, score latest lease expiry (ms)

ARGV[1]  permit token
ARGV[2]  lease (ms)
ARGV[3]  the limit key, as stored in the index
ARGV[4]  now (ms) for tests; '' in production, meaning Redis TIME

Returns {OK, expiresAt} renewed, or {NOT_HELD}.

Status codes (ScriptStatus):
  OK         1  renewed
  NOT_HELD  -1  lost: released before, or its lease had run out (an expired holder is
                removed here)

No half-applied call (a script that fails after a write is not rolled back): the holders are
read first (ZSCORE, which fails on a wrong-typed key before anything is written), and the
index is type-checked before a renewal writes anything (one TYPE per renewal). A wrong-typed
index fails the call with 'WRONGTYPE permit-renew.lua: key <key> holds a <type>, not a
<type>; nothing was written'.
]]
local OK, NOT_HELD = 1, -1
local holders, index = KEYS[1], KEYS[2]
local token, lease, key = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(x) return string.format('%d', x) end
local function wrongType(key, want)
  error({err = 'WRONGTYPE permit-renew.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

local score = redis.pcall('ZSCORE', holders, token)
if type(score) == 'table' and score.err then wrongType(holders, 'zset') end
if not score then
  return {NOT_HELD}
end
if tonumber(score) <= now then
  redis.call('ZREM', holders, token)
  return {NOT_HELD}
end
expect(index, 'zset') -- written below, after the holders: checked before them
local expiresAt = now + lease
redis.call('ZADD', holders, 'XX', int(expiresAt), token)
local last = redis.call('ZRANGE', holders, -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', holders, int(tonumber(last[2]) - now + 1000))
redis.call('ZADD', index, 'GT', int(expiresAt), key)
local latest = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', index, int(tonumber(latest[2]) - now + 1000))
return {OK, expiresAt}
