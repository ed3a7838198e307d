-- Moves the end of one user's live manual reservations later (`reserve --extend`), whichever tool
-- made them; keeps every other field.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1..5] as includes/own-manual reads them  ARGV[6] seconds to add
-- Returns {'ok', id, new expiry (s), ...} | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/own-manual"

local user, live = user_scope()
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local extended = { 'ok' }
each_own_manual(user, live, function(i, e)
  local expiry = to_seconds(field(e, 'expiry_time')) or to_seconds(field(e, 'start_time')) or live.now
  e.expiry_time = math.floor(expiry + tonumber(ARGV[6]))
  redis.call('SET', KEYS[i], cjson.encode(e))
  table.insert(extended, i - 2)
  table.insert(extended, e.expiry_time)
end)
return extended
