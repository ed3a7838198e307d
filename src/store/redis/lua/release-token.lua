-- Ends the reservation held under one reservation id: its GPUs become {"last_released": now}.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] reservation id  ARGV[2] now (s)
-- Returns {'ok', id...} (the ids released) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local released = { 'ok' }
for i = 2, #KEYS do
  local ok, raw = pcall(redis.call, 'GET', KEYS[i])
  if ok and raw then
    local decoded, entry = pcall(cjson.decode, raw)
    if decoded and type(entry) == 'table' and entry.reservation_id == ARGV[1] and type(entry.user) == 'string' then
      redis.call('SET', KEYS[i], cjson.encode({ last_released = tonumber(ARGV[2]) }))
      table.insert(released, i - 2)
    end
  end
end
return released
