-- Refreshes last_heartbeat of the GPUs still held under one reservation id; keeps every other field.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] reservation id  ARGV[2] now (s)
-- Returns {'ok', id...} (the ids refreshed) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local refreshed = { 'ok' }
for i = 2, #KEYS do
  local ok, raw = pcall(redis.call, 'GET', KEYS[i])
  if ok and raw then
    local decoded, entry = pcall(cjson.decode, raw)
    if decoded and type(entry) == 'table' and entry.reservation_id == ARGV[1] and type(entry.user) == 'string' then
      entry.last_heartbeat = tonumber(ARGV[2])
      redis.call('SET', KEYS[i], cjson.encode(entry))
      table.insert(refreshed, i - 2)
    end
  end
end
return refreshed
