-- `--gpu-ids`: grants exactly the GPUs named, or none, naming each one that cannot be had in the
-- words of src/domain/gpu-ids.ts (the store contract suite holds the two to the same answers).
-- The GPU keys start at KEYS[3]; a lapsed reservation a grant overwrites goes to the history
-- (includes/history, kept `retention` seconds). A manual request extends the user's own manual reservations (start
-- kept, and the note unless the request gives one).
local function grant_exact(ids, live, in_use, listed, reservation_json, retention)
  local wanted = cjson.decode(reservation_json)
  local count = #KEYS - 2
  local reasons, grants = { 'unavailable' }, {}
  for _, id in ipairs(ids) do
    local ok, raw = false, nil
    if id < count then ok, raw = pcall(redis.call, 'GET', KEYS[id + 3]) end
    local slot = ok and read_slot(raw, live) or { problem = true }
    local e = slot.entry
    local own = slot.active and wanted.type == 'manual' and is_manual(e) and owner_of(e) == wanted.user
    if id >= count then
      table.insert(reasons, 'GPU ID ' .. id .. ' is out of range (0-' .. (count - 1) .. ')')
    elseif slot.problem then
      table.insert(reasons, 'GPU ' .. id .. ' cannot be read from the store')
    elseif slot.active and not own then
      table.insert(reasons, 'GPU ' .. id .. " is already reserved by user '" .. tostring(field(e, 'user')) .. "'")
    elseif own then
      table.insert(grants, { id = id, start = field(e, 'start_time'), note = field(e, 'note') })
    elseif listed and not listed[id] then
      table.insert(reasons, 'GPU ' .. id .. ' is not found by nvidia-smi')
    elseif in_use[id] then
      table.insert(reasons, 'GPU ' .. id .. ' is in use without reservation')
    else
      table.insert(grants, { id = id, slot = slot })
    end
  end
  if #reasons > 1 then return reasons end
  local granted = { 'ok' }
  for _, g in ipairs(grants) do
    local slot = g.slot
    if slot and slot.ended then record_history(g.id, slot.entry, slot.start, slot.ended, slot.reason, live.now, retention) end
    local value = reservation_json
    if g.start ~= nil then
      local extended = cjson.decode(reservation_json)
      extended.start_time = g.start
      if extended.note == nil then extended.note = g.note end
      value = cjson.encode(extended)
    end
    redis.call('SET', KEYS[g.id + 3], value)
    table.insert(granted, g.id)
  end
  return granted
end
