--[[
counters: included by every script that increments a counter of a hash whose type it checked
(Script.java puts this file in place of the line '--@include counters'; enqueue.lua, which
producers in other languages run as it is, keeps its own copy). Needs wrongType(key, want).

count(key, field, by) increments a counter through redis.pcall: a value that is not an integer,
or that the increment would overflow, was written outside Baton; it is reset to this call's
count (never below 0) instead of failing the call after its writes, and the reset is reported.
reply(r) is the script's reply, wrapped as {'REPAIRED', {{key, field, old value}, ...}, r} when
a counter was reset; the Java runner (ScriptRunner) unwraps it and logs each reset at WARN.
]]
--@include repaired
local function count(key, field, by)
  local r = redis.pcall('HINCRBY', key, field, by)
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'WRONGTYPE', 1, true) then wrongType(key, 'hash', redis.call('TYPE', key).ok) end
    repaired[#repaired + 1] = {key, field, string.sub(tostring(redis.call('HGET', key, field)), 1, 40)}
    redis.call('HSET', key, field, math.max(by, 0))
  end
end
