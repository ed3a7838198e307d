-- Ends the reservation held under one reservation id: its GPUs become {"last_released": now}.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] reservation id  ARGV[2] now (s)
-- Returns {'ok', id...} (the ids released) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/held"
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local released = { 'ok' }
each_held(2, ARGV[1], function(i)
  redis.call('SET', KEYS[i], cjson.encode({ last_released = tonumber(ARGV[2]) }))
  table.insert(released, i - 2)
end)
return released
