--[[
rate-reserve: reserve units of a sliding-window rate limit, or say when to retry.

The window is a sliding log: one entry per granted reservation, scored by the
Redis time it was granted. At time now the window holds the entries scored in
(now - interval, now]; a reservation is granted only if the units already in
it plus its own fit in the budget. A running sum avoids adding the log up on
every call; entries that left the window are subtracted from it as they are
trimmed (each entry is trimmed once, so the cost is amortised O(1) per call).

KEYS[1]  log    P:{limit:<name>}:rate:<key>      ZSET  member "<reservation id>|<units>",
                                                       score granted at (ms, server clock)
KEYS[2]  sum    P:{limit:<name>}:rate-sum:<key>  STRING  units of all entries in the log
KEYS[3]  index  P:{limit:<name>}:rate-keys       ZSET  member key, score its last grant (ms)

ARGV[1]  reservation id (chosen by the caller; makes a re-sent call a no-op)
ARGV[2]  units to reserve, a decimal integer >= 1
ARGV[3]  budget (units per interval)
ARGV[4]  interval (ms)
ARGV[5]  the limit key (tenant, API key id), as stored in the index
ARGV[6]  now (ms) for tests; '' in production, meaning Redis TIME

Returns:
  {OK, grantedAt, used}             granted; used = units in the window including these
  {REFUSED, retryAfterMs, used, now} refused; retryAfterMs >= 1 is when enough older
                                    entries will have left the window for this call to fit
  {TOO_LARGE, budget}               the units exceed the whole budget: it can never fit

Status codes (ScriptStatus):
  OK          1  granted
  REFUSED     0  refused for now
  TOO_LARGE  -1  more units than the whole budget: nothing written

Every key gets a TTL of interval + 1 s after a write, so idle keys disappear.
A call re-sent after a lost reply finds its entry and returns it as granted
without counting it twice.

No half-applied call (a script that fails after a write is not rolled back): the log
(ZSCORE) and the sum (GET) are read and the index is type-checked (one TYPE per call) before
the first write. A wrong-typed key fails the call with 'WRONGTYPE rate-reserve.lua: key <key>
holds a <type>, not a <type>; nothing was written'.
]]
local OK, REFUSED, TOO_LARGE = 1, 0, -1
local log, sum, index = KEYS[1], KEYS[2], KEYS[3]
local id, unitsArg, budget, interval, key = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local units = tonumber(unitsArg)

local now
if ARGV[6] ~= '' then
  now = tonumber(ARGV[6])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- integers as decimal strings: Lua's tostring turns 1e12 into "1e+12"
local function int(x) return string.format('%d', x) end
local function unitsOf(member) return tonumber(string.match(member, '|(%d+)$')) end
local function wrongType(key, want)
  error({err = 'WRONGTYPE rate-reserve.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end

if units > budget then
  return {TOO_LARGE, budget}
end

local member = id .. '|' .. unitsArg
local ttl = interval + 1000

-- a re-sent call whose first copy was granted
local previous = redis.pcall('ZSCORE', log, member)
if type(previous) == 'table' and previous.err then wrongType(log, 'zset') end
local stored = redis.pcall('GET', sum)
if type(stored) == 'table' and stored.err then wrongType(sum, 'string') end
if previous then
  return {OK, tonumber(previous), tonumber(stored or '0')}
end
expect(index, 'zset') -- written by a grant, after the log: checked before anything is written

-- trim the entries that left the window: scored <= now - interval
local horizon = now - interval
local used = 0
if stored then
  used = tonumber(stored)
elseif redis.call('ZCARD', log) > 0 then
  -- the sum is gone but the log is not (deleted or evicted by hand): add the log up once
  for _, m in ipairs(redis.call('ZRANGE', log, 0, -1)) do
    used = used + unitsOf(m)
  end
  redis.call('SET', sum, int(used), 'PX', ttl)
end
local old = redis.call('ZRANGEBYSCORE', log, '-inf', int(horizon))
if #old > 0 then
  for i = 1, #old do
    used = used - unitsOf(old[i])
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', int(horizon))
  if redis.call('ZCARD', log) == 0 or used < 0 then
    used = 0
    redis.call('DEL', sum)
  else
    redis.call('SET', sum, int(used), 'KEEPTTL')
  end
end

if used + units <= budget then
  used = used + units
  redis.call('ZADD', log, int(now), member)
  redis.call('SET', sum, int(used), 'PX', ttl)
  redis.call('PEXPIRE', log, ttl)
  redis.call('ZADD', index, int(now), key)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', int(horizon))
  redis.call('PEXPIRE', index, ttl)
  return {OK, now, used}
end

-- refused: walk from the oldest entry until enough units would have left
local need = used + units - budget
local freed = 0
local from = 0
while true do
  local batch = redis.call('ZRANGE', log, from, from + 99, 'WITHSCORES')
  if #batch == 0 then
    break
  end
  for j = 1, #batch, 2 do
    freed = freed + unitsOf(batch[j])
    if freed >= need then
      return {REFUSED, math.max(1, tonumber(batch[j + 1]) + interval - now), used, now}
    end
  end
  from = from + 100
end
-- only reachable if the sum disagrees with the log; a full interval always frees everything
return {REFUSED, interval, used, now}
