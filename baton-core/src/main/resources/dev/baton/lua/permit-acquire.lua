--[[
permit-acquire: take a leased permit of a fleet-wide concurrency limit, or say
when to retry.

Holders are a sorted set of permit tokens scored by lease expiry on the Redis
clock. Expired holders (a worker killed with kill -9, or one that stopped
renewing) are removed first, so their permits come back to the next caller.

KEYS[1]  holders  P:{limit:<name>}:permits:<key>  ZSET  member permit token, score lease expiry (ms)
KEYS[2]  index    P:{limit:<name>}:permit-keys    ZSET  member key, score latest lease expiry (ms)

ARGV[1]  permit token (chosen by the caller; makes a re-sent call a no-op)
ARGV[2]  permits (the limit)
ARGV[3]  lease (ms)
ARGV[4]  retry interval (ms): the longest retry-after of a refusal, since a holder
         may release at any moment
ARGV[5]  the limit key, as stored in the index
ARGV[6]  now (ms) for tests; '' in production, meaning Redis TIME

Returns:
  {OK, expiresAt, inUse, reclaimed, now}        granted; inUse counts this permit;
                                                reclaimed = expired holders removed now
  {REFUSED, retryAfterMs, inUse, reclaimed, now} refused; retryAfterMs >= 1 is the sooner of
                                                the earliest lease expiry and the retry interval

Status codes (ScriptStatus):
  OK        1  granted
  REFUSED   0  refused for now

The holders key expires 1 s after its last lease, the index 1 s after its latest.

No half-applied call (a script that fails after a write is not rolled back): the first
write is to the holders (ZREMRANGEBYSCORE), which fails on a wrong-typed holders key before
anything is written; the index is type-checked before a grant writes it (one TYPE per grant).
A wrong-typed index fails the call with 'WRONGTYPE permit-acquire.lua: key <key> holds a
<type>, not a <type>; nothing was written'.
]]
local OK, REFUSED = 1, 0
local holders, index = KEYS[1], KEYS[2]
local token, permits, lease, retryInterval, key =
  ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]

local now
if ARGV[6] ~= '' then
  now = tonumber(ARGV[6])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(x) return string.format('%d', x) end
local function wrongType(key, want)
  error({err = 'WRONGTYPE permit-acquire.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

-- a lease that ends at or before now is over
local reclaimed = redis.pcall('ZREMRANGEBYSCORE', holders, '-inf', int(now)) -- the first write
if type(reclaimed) == 'table' and reclaimed.err then wrongType(holders, 'zset') end
local inUse = redis.call('ZCARD', holders)

-- a re-sent call whose first copy was granted
local previous = redis.call('ZSCORE', holders, token)
if previous then
  return {OK, tonumber(previous), inUse, reclaimed, now}
end

if inUse < permits then
  expect(index, 'zset') -- written below, after the holders: checked before them
  local expiresAt = now + lease
  redis.call('ZADD', holders, int(expiresAt), token)
  local last = redis.call('ZRANGE', holders, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', holders, int(tonumber(last[2]) - now + 1000))
  redis.call('ZADD', index, 'GT', int(expiresAt), key)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', int(now))
  local latest = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', index, int(tonumber(latest[2]) - now + 1000))
  return {OK, expiresAt, inUse + 1, reclaimed, now}
end

local first = redis.call('ZRANGE', holders, 0, 0, 'WITHSCORES')
local retryAfter = math.min(tonumber(first[2]) - now, retryInterval)
return {REFUSED, math.max(1, retryAfter), inUse, reclaimed, now}
