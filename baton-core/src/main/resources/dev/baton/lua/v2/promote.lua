--[[
promote (layout v2, docs/hot-path-v2.md): move due tasks from the delayed set to the stream.
Safe with any number of promoters at once: a member is moved only by the call whose ZREM
removed it.

A task never delivered (scheduled at enqueue) becomes a plain entry {t, p[, o]} whose entry id is
its index value, as if enqueued now, and its record is deleted. A task delivered before (a retry)
becomes an entry {t, p[, o], a} with a = '<n>,<att>,<nol>,<flt>' (n: the delivery it will be), its
index value 'q<a>,<eid>' (the token of that delivery) and its record (history) kept, st 'queued'.
A task whose index value is 'd' but whose record has no payload (or that has no record at all)
is dead-lettered: 'malformed task: no payload'. A member whose index value is not 'd' (the task
moved on: cancelled, or written outside Baton), or whose record is in another state, is only
removed from the delayed set.

KEYS[1]   delayed  P:{Q}:delayed     ZSET  member id, score due time (ms, server clock)
KEYS[2]   stream   P:{Q}:stream      STREAM
KEYS[3]   dead     P:{Q}:dead        ZSET
KEYS[4]   stats    P:{Q}:stats       HASH  counter 'dead'
then two per task i:
KEYS[3+2i] record  P:{Q}:task:<id_i> HASH
KEYS[4+2i] index   P:{Q}:ix:<b_i>    HASH

ARGV[i]   task id i

Returns the number of tasks moved to the stream.

No half-applied call: every member's score (ZSCORE), index value (HGET) and record (HMGET) is
read, and the stream (and, when a task is to be dead-lettered, dead and stats) type-checked,
before the first write. A key of the wrong type fails the call with 'WRONGTYPE promote.lua: key
<key> holds a <type>, not a <type>; nothing was written'.
]]
local delayed, stream, dead, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local n = #ARGV
if #KEYS ~= 4 + 2 * n then
  return redis.error_reply('ERR promote.lua: ' .. #KEYS .. ' keys and ' .. n .. ' ids do not match')
end
local SCRIPT = 'promote.lua'
--@include v2

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- reads
local plan, seen, moving, dying = {}, {}, false, false
for i = 1, n do
  local id, record, index = ARGV[i], KEYS[3 + 2 * i], KEYS[4 + 2 * i]
  local due = checked(redis.pcall('ZSCORE', delayed, id), delayed, 'zset')
  if due and tonumber(due) <= now and not seen[id] then
    seen[id] = true
    local v = checked(redis.pcall('HGET', index, id), index, 'hash')
    local r = checked(redis.pcall('HMGET', record, 'st', 'p', 'o', 'dn', 'att', 'nol', 'flt', 'hist'), record, 'hash')
    if v ~= 'd' then
      plan[i] = {drop = true} -- moved on (cancelled, or written outside Baton): only the member goes
    elseif not r[2] then
      -- the index says delayed but there is nothing to run (no payload, or no record at all): dropping
      -- only the member would leave the index field 'd' behind, the id taken forever
      plan[i] = {dead = true}
      dying = true
    elseif r[1] ~= 'scheduled' and r[1] ~= 'retrying' then
      plan[i] = {drop = true}
    else
      plan[i] = {p = r[2], o = r[3], dn = tonumber(r[4]), att = tonumber(r[5]) or 0, nol = tonumber(r[6]) or 0,
        flt = tonumber(r[7]) or 0, fresh = not r[4] and not r[8]}
      moving = true
    end
  end
end
if moving then expect(stream, 'stream') end
local deadOk = true
if dying then
  expect(dead, 'zset')
  local c = checked(redis.pcall('HGET', stats, 'dead'), stats, 'hash')
  deadOk = c == false or (string.match(c, '^%-?%d+$') ~= nil and #c <= 18)
end

-- writes: none of these can fail on a key's type any more
local moved = 0
for i = 1, n do
  local p = plan[i]
  if p then
    local id, record, index = ARGV[i], KEYS[3 + 2 * i], KEYS[4 + 2 * i]
    redis.call('ZREM', delayed, id)
    if p.dead then
      redis.call('HSET', record, 'id', id, 'st', 'dead', 'why', 'malformed task: no payload', 'ft', now)
      redis.call('ZADD', dead, now, id)
      redis.call('HSET', index, id, 'x')
      if deadOk then redis.call('HINCRBY', stats, 'dead', 1) else redis.call('HSET', stats, 'dead', 1) end
    elseif not p.drop then
      local fields = {'t', id, 'p', p.p}
      if p.o then fields[#fields + 1] = 'o'; fields[#fields + 1] = p.o end
      local a
      if not p.fresh then
        a = ((p.dn or 0) + 1) .. ',' .. p.att .. ',' .. p.nol .. ',' .. p.flt
        fields[#fields + 1] = 'a'; fields[#fields + 1] = a
      end
      local eid = redis.call('XADD', stream, '*', unpack(fields))
      if p.fresh then
        redis.call('HSET', index, id, eid)
        redis.call('DEL', record)
      else
        redis.call('HSET', index, id, 'q' .. a .. ',' .. eid)
        redis.call('HSET', record, 'st', 'queued')
      end
      moved = moved + 1
    end
  end
end
return moved
