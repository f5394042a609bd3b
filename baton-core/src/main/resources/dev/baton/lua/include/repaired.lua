--[[
repaired: included by counters and breaker-check. The resets a script made of values written
outside Baton, and reply(r): the script's reply, wrapped as {'REPAIRED', {{key, field, old value},
...}, r} when it reset anything; the Java runner (ScriptRunner) unwraps it and logs each reset at
WARN with its key and field.
]]
local repaired = {}
local function reply(r)
  if #repaired > 0 then return {'REPAIRED', repaired, r} end
  return r
end
