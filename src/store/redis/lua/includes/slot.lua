-- One GPU's key, judged as src/domain/liveness.ts judges it (the store contract suite holds the two
-- to the same answers). Returns a table:
--   { problem = true }                                unreadable: never handed out
--   { active = true, entry = e }                      held by a live reservation
--   { active = false, entry = e, released_at = t }    free (t = nil: never released)
-- `live` = { now = seconds, stale_after = seconds, dead = { [reservation_id] = true } }.
--- @include "includes/time"

local function owner_of(entry)
  local user = entry.actual_user
  if type(user) ~= 'string' or user == '' then user = entry.user end
  return user
end

local function read_slot(raw, live)
  if not raw then return { active = false, released_at = nil } end
  if string.match(raw, '^%s*%[') then return { problem = true } end -- cjson reads [] as {}
  local ok, entry = pcall(cjson.decode, raw)
  if not ok or type(entry) ~= 'table' then return { problem = true } end
  local released = to_seconds(entry.last_released)
  if released == false then released = nil end
  local user = entry.user
  if user == nil or user == cjson.null or user == '' then
    return { active = false, entry = entry, released_at = released }
  end
  if type(user) ~= 'string' then return { problem = true } end
  local start = to_seconds(entry.start_time)
  if start == false then return { problem = true } end
  local ended
  local manual = entry.type == 'manual' or (entry.type == nil and entry.expiry_time ~= nil)
  if manual then
    local expiry = to_seconds(entry.expiry_time)
    if expiry == false then return { problem = true } end
    expiry = expiry or start or 0
    if live.now >= expiry then ended = expiry end
  else
    local heartbeat = to_seconds(entry.last_heartbeat)
    if heartbeat == false then return { problem = true } end
    heartbeat = heartbeat or start or 0
    local id = entry.reservation_id
    if (type(id) == 'string' and live.dead[id]) or live.now - heartbeat > live.stale_after then
      ended = heartbeat
    end
  end
  if ended == nil then return { active = true, entry = entry } end
  if released == nil or released < ended then released = ended end
  return { active = false, entry = entry, released_at = released }
end

local function set_of(list)
  local set = {}
  for _, v in ipairs(list) do set[v] = true end
  return set
end
