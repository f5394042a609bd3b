--[[
start: mark a batch of freshly delivered stream entries as running.

Called right after XREADGROUP with the entries this consumer received. Each
task's delivery counter is the fencing token every later write must present.

KEYS[1]   stream   P:{Q}:stream   STREAM
KEYS[2]   dead     P:{Q}:dead     ZSET  member id, score dead-lettered at (ms)
KEYS[3]   stats    P:{Q}:stats    HASH
KEYS[3+i] task     P:{Q}:task:<id_i>  HASH, one per entry

ARGV[1]     consumer group
ARGV[2]     consumer name (this worker)
ARGV[3]     channel for terminal events (PUBLISH, message = id)
ARGV[3+2i-1] entry id of entry i
ARGV[3+2i]   task id of entry i

Returns one element per entry:
  {1, HGETALL flattened}  started: the record after the update (a repeated call by the same
                          consumer for an entry it already started answers the same, without
                          counting another delivery, so retrying a call whose reply was lost is safe)
  {0, reason}             skipped and acknowledged (finished, cancelled, stale entry)
  {-1, reason}            dead-lettered here (record missing, attempts exhausted)
]]
local stream, dead, stats = KEYS[1], KEYS[2], KEYS[3]
local group, consumer, channel = ARGV[1], ARGV[2], ARGV[3]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local out = {}
local n = #KEYS - 3
for i = 1, n do
  local taskKey = KEYS[3 + i]
  local eid, id = ARGV[3 + 2 * i - 1], ARGV[3 + 2 * i]
  local st = redis.call('HGET', taskKey, 'st')
  if not st then
    -- an entry whose record is gone: keep a tombstone so it never vanishes silently
    redis.call('HSET', taskKey, 'id', id, 'q', '', 'st', 'dead', 'att', 0, 'dlv', 1, 'max', 0,
      'ct', now, 'ft', now, 'eid', eid, 'why', 'task record missing for stream entry ' .. eid)
    redis.call('ZADD', dead, now, id)
    redis.call('HINCRBY', stats, 'dead', 1)
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
    redis.call('PUBLISH', channel, id)
    out[i] = {-1, 'task record missing'}
  elseif st == 'running' and redis.call('HGET', taskKey, 'eid') == eid
      and redis.call('HGET', taskKey, 'own') == consumer then
    -- this very call ran before and its reply was lost (client retry or reconnect replay):
    -- answer as then, without counting a second delivery
    out[i] = {1, redis.call('HGETALL', taskKey)}
  elseif st ~= 'queued' or redis.call('HGET', taskKey, 'eid') ~= eid then
    redis.call('XACK', stream, group, eid)
    redis.call('XDEL', stream, eid)
    out[i] = {0, 'not runnable: state ' .. st}
  else
    local att = tonumber(redis.call('HGET', taskKey, 'att'))
    local max = tonumber(redis.call('HGET', taskKey, 'max'))
    local dlv = tonumber(redis.call('HGET', taskKey, 'dlv'))
    local why = nil
    if att == nil or max == nil or dlv == nil then
      why = 'malformed task: att, dlv or max is not a number'
    elseif att >= max then
      why = 'attempts exhausted'
    end
    if why then
      redis.call('HSET', taskKey, 'st', 'dead', 'ft', now, 'why', why)
      redis.call('ZADD', dead, now, id)
      redis.call('HINCRBY', stats, 'dead', 1)
      redis.call('XACK', stream, group, eid)
      redis.call('XDEL', stream, eid)
      redis.call('PUBLISH', channel, id)
      out[i] = {-1, why}
    else
      redis.call('HINCRBY', taskKey, 'att', 1)
      redis.call('HINCRBY', taskKey, 'dlv', 1)
      redis.call('HSET', taskKey, 'st', 'running', 'own', consumer, 'sta', now)
      out[i] = {1, redis.call('HGETALL', taskKey)}
    end
  end
end
return out
