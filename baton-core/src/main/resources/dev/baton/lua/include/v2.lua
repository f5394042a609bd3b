--[[
v2: the helpers of layout 2's scripts (docs/hot-path-v2.md). Script.java puts this file in place
of the line '--@include v2'; v2/enqueue.lua, which producers in other languages run as it is,
keeps its own copies. Needs SCRIPT, the including script's file name, for messages.

wrongType(key, want) fails the call naming the key: only before the first write.
checked(r, key, want) is r, the reply of a redis.pcall read; a WRONGTYPE reply fails as wrongType.
expect(key, want) type-checks a key that may not exist yet; returns its type.
stateOf(v) is the state an index value stands for: 'scheduled' (d), 'parked' (k), 'dead' (x),
else 'queued' (waiting or running).
countsOf(token) is n, att, nol, flt, eid of a delivery's token: a first delivery's token is its
entry id (n 1, the rest 0); a later one's is '<q|i><n>,<att>,<nol>,<flt>,<eid>'.
counterOk(key, field) reads a counter before the writes: false when it holds something that is
not an integer, which the script then sets instead of incrementing (HINCRBY would fail after
the writes).
]]
local function wrongType(key, want)
  error({err = 'WRONGTYPE ' .. SCRIPT .. ': key ' .. (string.gsub(key, '[^%w%p ]', '?')) .. ' holds a '
    .. redis.call('TYPE', key).ok .. ', not a ' .. want .. '; nothing was written'})
end
local function checked(r, key, want)
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'WRONGTYPE', 1, true) then wrongType(key, want) end
    error(r)
  end
  return r
end
local function expect(key, want)
  local got = redis.call('TYPE', key).ok
  if got ~= want and got ~= 'none' then wrongType(key, want) end
  return got
end
local function stateOf(v)
  local c = string.sub(v, 1, 1)
  if c == 'd' then return 'scheduled' elseif c == 'k' then return 'parked' elseif c == 'x' then return 'dead' end
  return 'queued'
end
local function countsOf(token)
  local c = string.sub(token, 1, 1)
  if c == 'q' or c == 'i' then
    local a, b, d, e, f = string.match(token, '^[qi](%d+),(%d+),(%d+),(%d+),(.+)$')
    if a then return tonumber(a), tonumber(b), tonumber(d), tonumber(e), f end
  end
  return 1, 0, 0, 0, token
end
local function counterOk(key, field)
  local v = checked(redis.pcall('HGET', key, field), key, 'hash')
  return v == false or (string.match(v, '^%-?%d+$') ~= nil and #v <= 18)
end
