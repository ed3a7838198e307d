-- Ends one user's live manual reservations, whichever tool made them (the OS account is
-- actual_user when the Go tool set it, else user).
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] user  ARGV[2] now (s)  ARGV[3] stale after (s)
-- ARGV[4] dead reservation ids (JSON array)  ARGV[5] reservation ids whose owner was seen alive (JSON array)
-- ARGV[6] how long history records are kept (s)
-- Returns {'ok', id...} (the ids released) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/slot"
--- @include "includes/history"

local live = { now = tonumber(ARGV[2]), stale_after = tonumber(ARGV[3]), dead = set_of(cjson.decode(ARGV[4])), alive = set_of(cjson.decode(ARGV[5])) }
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local released = { 'ok' }
for i = 2, #KEYS do
  local ok, raw = pcall(redis.call, 'GET', KEYS[i])
  if ok then
    local slot = read_slot(raw, live)
    local e = slot.entry
    if slot.active and owner_of(e) == ARGV[1] and is_manual(e) then
      record_history(i - 2, e, start_of(e), live.now, 'released', live.now, tonumber(ARGV[6]))
      redis.call('SET', KEYS[i], cjson.encode({ last_released = math.floor(live.now) }))
      table.insert(released, i - 2)
    end
  end
end
return released
