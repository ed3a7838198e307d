-- Hands the GPUs held under one reservation id to another owner process; keeps every other field.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] reservation id  ARGV[2] owner host  ARGV[3] owner pid  ARGV[4] owner start time ('' when unknown)
-- Returns {'ok', id...} (the ids handed over) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/held"
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local handed = { 'ok' }
each_held(2, ARGV[1], function(i, entry)
  entry.owner_host = ARGV[2]
  entry.owner_pid = tonumber(ARGV[3])
  entry.owner_start = ARGV[4] ~= '' and ARGV[4] or nil
  redis.call('SET', KEYS[i], cjson.encode(entry))
  table.insert(handed, i - 2)
end)
return handed
