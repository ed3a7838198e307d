-- Refreshes last_heartbeat of the GPUs still held under one reservation id; keeps every other field.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] reservation id  ARGV[2] now (s)
-- Returns {'ok', id...} (the ids refreshed) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/held"
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local refreshed = { 'ok' }
each_held(2, ARGV[1], function(i, entry)
  entry.last_heartbeat = tonumber(ARGV[2])
  redis.call('SET', KEYS[i], cjson.encode(entry))
  table.insert(refreshed, i - 2)
end)
return refreshed
