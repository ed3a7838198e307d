-- Moves the end of one user's live manual reservations later (`reserve --extend`), whichever tool
-- made them; keeps every other field.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] user  ARGV[2] now (s)  ARGV[3] stale after (s)  ARGV[4] dead reservation ids (JSON array)
-- ARGV[5] reservation ids whose owner was seen alive (JSON array)  ARGV[6] seconds to add
-- Returns {'ok', id, new expiry (s), ...} | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/slot"

local live = { now = tonumber(ARGV[2]), stale_after = tonumber(ARGV[3]), dead = set_of(cjson.decode(ARGV[4])), alive = set_of(cjson.decode(ARGV[5])) }
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local extended = { 'ok' }
for i = 2, #KEYS do
  local ok, raw = pcall(redis.call, 'GET', KEYS[i])
  if ok then
    local slot = read_slot(raw, live)
    local e = slot.entry
    if slot.active and owner_of(e) == ARGV[1] and is_manual(e) then
      local expiry = to_seconds(field(e, 'expiry_time')) or to_seconds(field(e, 'start_time')) or live.now
      e.expiry_time = math.floor(expiry + tonumber(ARGV[6]))
      redis.call('SET', KEYS[i], cjson.encode(e))
      table.insert(extended, i - 2)
      table.insert(extended, e.expiry_time)
    end
  end
end
return extended
