--[[
rate-reconcile: replace a granted reservation's estimate with the units it
really used, refunding or charging the difference in the window it was granted
in (the entry keeps its score). A charge can push that window over the budget
by the difference; later reservations then wait until it is back under.

KEYS[1]  log  P:{limit:<name>}:rate:<key>      ZSET  member "<id>|<units>", score granted at (ms)
KEYS[2]  sum  P:{limit:<name>}:rate-sum:<key>  STRING  units of all entries in the log

ARGV[1]  reservation id
ARGV[2]  units reserved (the estimate, as granted)
ARGV[3]  units really used, a decimal integer >= 0 (0 removes the entry)

Returns:
  {OK, difference, now}  applied; difference = used - reserved (> 0 charged, < 0 refunded)
  {UNCHANGED, 0, now}    nothing to do: the entry left the window already (its units no
                         longer count anywhere), or this reservation was reconciled before
                         (so a re-sent call changes nothing)
now is the Redis time (ms) of the call, for the caller's records; the logic needs
no clock: an entry past the window but not yet trimmed is trimmed later with its
new units, which keeps the sum right.

Status codes (ScriptStatus):
  OK          1  applied
  UNCHANGED   0  nothing to do

No half-applied call (a script that fails after a write is not rolled back): the log
(ZSCORE) and the sum (GET, no extra command: it was read later before) are read before the
first write. A wrong-typed sum fails the call with 'WRONGTYPE rate-reconcile.lua: key <key>
holds a <type>, not a <type>; nothing was written'.
]]
local OK, UNCHANGED = 1, 0
local log, sum = KEYS[1], KEYS[2]
local id, reservedArg, actualArg = ARGV[1], ARGV[2], ARGV[3]
local reserved, actual = tonumber(reservedArg), tonumber(actualArg)

local function int(x) return string.format('%d', x) end
local function wrongType(key, want)
  error({err = 'WRONGTYPE rate-reconcile.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local member = id .. '|' .. reservedArg
local score = redis.pcall('ZSCORE', log, member)
if type(score) == 'table' and score.err then wrongType(log, 'zset') end
if not score then
  return {UNCHANGED, 0, now}
end
local difference = actual - reserved
if difference == 0 then
  return {OK, 0, now}
end
local stored = redis.pcall('GET', sum) -- read before the first write
if type(stored) == 'table' and stored.err then wrongType(sum, 'string') end
redis.call('ZREM', log, member)
if actual > 0 then
  redis.call('ZADD', log, score, id .. '|' .. actualArg)
end
if redis.call('ZCARD', log) == 0 then
  redis.call('DEL', sum)
else
  local used = tonumber(stored or '0') + difference
  redis.call('SET', sum, int(math.max(used, 0)), 'KEEPTTL')
end
return {OK, difference, now}
