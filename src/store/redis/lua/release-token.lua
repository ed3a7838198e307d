-- Ends the reservation held under one reservation id: its GPUs become {"last_released": now}.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] reservation id  ARGV[2] now (s)
-- Returns {'ok', id...} (the ids released) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/held"
--- @include "includes/slot"
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local released = { 'ok' }
each_held(2, ARGV[1], function(i, entry)
  redis.call('SET', KEYS[i], released_entry(tonumber(ARGV[2]), entry))
  table.insert(released, i - 2)
end)
return released
