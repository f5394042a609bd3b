--[[
task (layout v2, docs/hot-path-v2.md): read one task, in one round trip and as one consistent
view, for Inspector.task and the result waiter. Read-only.

Where the task is, in this order:
  index value '<eid>', 'q<n>,<att>,<nol>,<flt>,<eid>' or 'i...': in the stream. Running when its
    entry is pending under a worker's consumer (the owner); queued when it is not pending, or
    pending under a reserved consumer ('~released', '~recovered', '~suspect': given back or taken
    over, waiting to be claimed). Payload and options from the entry (XRANGE eid eid); history
    from the record, when the task failed before.
  index value 'd' (scheduled, retrying; the record's st), 'k' (parked), 'x' (dead): the record.
  no index field: the finished value P:{Q}:done:<id> ('s,<ft>,<attempt>,<worker>,<run ms>|<result>'
    or 'c,<ft>,<attempt>,|'), plus the record when it exists (a task that failed before: history);
    a success adds its attempt to the history (start = ft - run ms) and sets sta.
  none of these: not found.

KEYS[1] stream  P:{Q}:stream     STREAM
KEYS[2] index   P:{Q}:ix:<b>     HASH   id -> state
KEYS[3] done    P:{Q}:done:<id>  STRING
KEYS[4] record  P:{Q}:task:<id>  HASH

ARGV[1] consumer group
ARGV[2] task id

Returns the task as record fields, flat {name, value, ...} (empty when not found): every field of
the record when there is one, overridden by what the live state says: id, st (state), att
(attempts started: those charged, plus the one running), dlv (deliveries: the delivery count of
the token, the running one included; a release or take-over counts as one), ct and sa (the record's,
else the entry id's time), ft and r (finished time and result, from the finished value), p and o
(payload and options JSON, from the entry), eid (the entry id), owner (the consumer whose pending
list holds the entry, reserved or not; absent when not pending), w (the worker of a finished
value), ix (the index value). An index value Baton does not write is returned as st '?<value>'.

A key of the wrong type fails the read with 'WRONGTYPE task.lua: key <key> holds a <type>, not a
<type>; nothing was written' (nothing is ever written).
]]
local stream, index, done, record = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, id = ARGV[1], ARGV[2]

local SCRIPT = 'task.lua'
--@include v2

local f, names = {}, {}
local function put(name, value)
  if value == nil or value == false then return end
  if f[name] == nil then names[#names + 1] = name end
  f[name] = tostring(value)
end

local v = checked(redis.pcall('HGET', index, id), index, 'hash')
local rt = redis.call('TYPE', record).ok
if rt ~= 'hash' and rt ~= 'none' then wrongType(record, 'hash') end
if rt == 'hash' then
  local all = redis.call('HGETALL', record)
  for x = 1, #all, 2 do put(all[x], all[x + 1]) end
end

if not v then
  local d = checked(redis.pcall('GET', done), done, 'string')
  if not d then return {} end
  local kind, ft, attempt, tail, result = string.match(d, '^(%a),(%d*),(%d*),([^|]*)|(.*)$')
  -- tail: '<worker>' or '<worker>,<run ms>' (the run time from which the start is derived)
  local worker, run = tail, nil
  if tail then
    local w, ms = string.match(tail, '^([^,]*),(%d+)$')
    if w then worker, run = w, tonumber(ms) end
  end
  put('id', id)
  if kind == 's' then
    put('st', 'succeeded')
    put('r', result)
    -- the successful attempt, which layout 2 records only in the finished value
    local f0, a0 = tonumber(ft), tonumber(attempt)
    if f0 and a0 then
      local s0 = run and (f0 - run) or f0
      if run then put('sta', tostring(s0)) end
      local one = '{"a":' .. a0 .. ',"w":"' .. (worker or '') .. '","s":' .. s0 .. ',"f":' .. f0 .. '}'
      local h = f['hist']
      if h and string.sub(h, -1) == ']' and #h > 2 then
        put('hist', string.sub(h, 1, -2) .. ',' .. one .. ']')
      else
        put('hist', '[' .. one .. ']')
      end
    end
  elseif kind == 'c' then
    put('st', 'cancelled')
  else
    put('st', '?' .. string.sub(d, 1, 16))
  end
  if ft and ft ~= '' then put('ft', ft) end
  if attempt and attempt ~= '' then put('att', attempt) end
  if worker and worker ~= '' then put('w', worker) end
else
  put('id', id)
  put('ix', v)
  local c = string.sub(v, 1, 1)
  if c == 'd' then
    if f['st'] ~= 'retrying' then put('st', 'scheduled') end
  elseif c == 'k' then
    put('st', 'parked')
  elseif c == 'x' then
    put('st', 'dead')
  elseif c == 'q' or c == 'i' or string.match(c, '%d') then
    local eid, n, att = v, 1, 0
    if c == 'q' or c == 'i' then
      local a, b, e = string.match(v, '^[qi](%d+),(%d+),%d+,%d+,(.+)$')
      n, att, eid = tonumber(a), tonumber(b), e
    end
    if not eid then
      put('st', '?' .. string.sub(v, 1, 16))
    else
      put('eid', eid)
      local p = checked(redis.pcall('XPENDING', stream, group, eid, eid, 1), stream, 'stream')
      local owner = p[1] and p[1][2]
      put('owner', owner)
      if owner and string.sub(owner, 1, 1) ~= '~' then
        put('st', 'running')
        put('att', att + 1)
        put('dlv', n)
      else
        put('st', 'queued')
        put('att', att)
        put('dlv', n - 1)
      end
      local e = redis.call('XRANGE', stream, eid, eid)
      if e[1] then
        local kv = e[1][2]
        for x = 1, #kv, 2 do
          if kv[x] == 'p' or kv[x] == 'o' then put(kv[x], kv[x + 1]) end
        end
      end
      local ms = string.match(eid, '^(%d+)')
      if f['ct'] == nil then put('ct', ms) end
      if f['sa'] == nil then put('sa', ms) end
    end
  else
    put('st', '?' .. string.sub(v, 1, 16))
  end
end

local out = {}
for _, name in ipairs(names) do
  out[#out + 1] = name
  out[#out + 1] = f[name]
end
return out
