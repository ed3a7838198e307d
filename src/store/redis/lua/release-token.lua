-- Ends the reservation held under one reservation id: its GPUs become {"last_released": now}.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1] reservation id  ARGV[2] now (s)  ARGV[3] why it ends (history's end_reason)
-- ARGV[4] how long history records are kept (s)
-- Returns {'ok', id...} (the ids released) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/held"
--- @include "includes/history"
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local released = { 'ok' }
local now = tonumber(ARGV[2])
each_held(2, ARGV[1], function(i, entry)
  -- Its own holder ends it: only a manual reservation past its expiry had lapsed already.
  local expiry = to_seconds(field(entry, 'expiry_time'))
  if is_manual(entry) and type(expiry) == 'number' and expiry <= now then
    record_history(i - 2, entry, start_of(entry), expiry, 'expired', now, tonumber(ARGV[4]))
  else
    record_history(i - 2, entry, start_of(entry), now, ARGV[3], now, tonumber(ARGV[4]))
  end
  redis.call('SET', KEYS[i], cjson.encode({ last_released = tonumber(ARGV[2]) }))
  table.insert(released, i - 2)
end)
return released
