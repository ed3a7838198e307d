-- One GPU's key, judged as src/domain/liveness.ts judges it (the store contract suite holds the two
-- to the same answers). Returns a table:
--   { problem = true }                                unreadable: never handed out
--   { active = true, entry = e }                      held by a live reservation
--   { active = false, entry = e, released_at = t }    free (t = nil: never released)
--     with, when e is a reservation that lapsed, start, ended (seconds) and reason (as src/domain/history.ts names it)
-- `live` = { now = seconds, stale_after = seconds, dead = { [id] = true }, alive = { [id] = true } }:
-- a dead owner frees at once, an owner seen alive holds whatever the heartbeat says.
--- @include "includes/time"

-- A field's value, with JSON null read as absent (cjson gives null as a value of its own).
local function field(entry, name)
  local value = entry[name]
  if value == cjson.null then return nil end
  return value
end

local function owner_of(entry)
  local user = field(entry, 'actual_user')
  if type(user) ~= 'string' or user == '' then user = field(entry, 'user') end
  return user
end

local function is_manual(entry)
  local kind = field(entry, 'type')
  return kind == 'manual' or (kind == nil and field(entry, 'expiry_time') ~= nil)
end

local function read_slot(raw, live)
  if not raw then return { active = false, released_at = nil } end
  if string.match(raw, '^%s*%[') then return { problem = true } end -- cjson reads [] as {}
  local ok, entry = pcall(cjson.decode, raw)
  if not ok or type(entry) ~= 'table' then return { problem = true } end
  local released = to_seconds(field(entry, 'last_released'))
  if released == false then released = nil end
  local user = field(entry, 'user')
  if user == nil or user == '' then
    return { active = false, entry = entry, released_at = released }
  end
  if type(user) ~= 'string' then return { problem = true } end
  -- Any unreadable time makes the GPU unreadable, whichever the type needs (as schema.ts judges).
  local start = to_seconds(field(entry, 'start_time'))
  local heartbeat = to_seconds(field(entry, 'last_heartbeat'))
  local expiry = to_seconds(field(entry, 'expiry_time'))
  if start == false or heartbeat == false or expiry == false then return { problem = true } end
  local ended, reason
  if is_manual(entry) then
    expiry = expiry or start or 0
    if live.now >= expiry then ended, reason = expiry, 'expired' end
  else
    heartbeat = heartbeat or start or 0
    local id = field(entry, 'reservation_id')
    local known = type(id) == 'string'
    if known and live.dead[id] then
      ended, reason = heartbeat, 'crashed'
    elseif not (known and live.alive[id]) and live.now - heartbeat > live.stale_after then
      ended, reason = heartbeat, 'stale'
    end
  end
  if ended == nil then return { active = true, entry = entry } end
  local lapsed_at = ended
  if released == nil or released < ended then released = ended end
  return { active = false, entry = entry, released_at = released, start = start or lapsed_at, ended = lapsed_at, reason = reason }
end

local function set_of(list)
  local set = {}
  for _, v in ipairs(list) do set[v] = true end
  return set
end
