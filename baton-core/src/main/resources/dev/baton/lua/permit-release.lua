--[[
permit-release: give a permit back. Fenced by the permit token: releasing twice,
or after the lease ran out, frees nobody else's permit.

KEYS[1]  holders  P:{limit:<name>}:permits:<key>  ZSET  member permit token, score lease expiry (ms)

ARGV[1]  permit token
ARGV[2]  now (ms) for tests; '' in production, meaning Redis TIME

Returns a status code.

Status codes (ScriptStatus):
  OK          1  released
  UNCHANGED   0  not held: released before (or a re-sent release), or already reclaimed
  EXPIRED    -1  its lease had run out before this release (removed now; the caller ran
                 unprotected for a while)

No half-applied call: the one key is read (ZSCORE) before its one write.
]]
local OK, UNCHANGED, EXPIRED = 1, 0, -1
local holders, token = KEYS[1], ARGV[1]

local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function wrongType(key, want)
  error({err = 'WRONGTYPE permit-release.lua: key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local score = redis.pcall('ZSCORE', holders, token)
if type(score) == 'table' and score.err then wrongType(holders, 'zset') end
if not score then
  return UNCHANGED
end
redis.call('ZREM', holders, token)
if tonumber(score) <= now then
  return EXPIRED
end
return OK
