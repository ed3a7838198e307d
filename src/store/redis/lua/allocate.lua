-- Grants ARGV count free GPUs, least recently released first, or nothing. Honours the other
-- canhazgpu tools' allocation lock: while it is held, returns {'locked'} and the caller retries.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2] canhazgpu:allocation_lock, KEYS[3..] canhazgpu:gpu:0..n-1
-- ARGV[1] now (s)  ARGV[2] count  ARGV[3] stale after (s)  ARGV[4] reservation JSON
-- ARGV[5] GPU ids in use (JSON array)  ARGV[6] dead reservation ids (JSON array)
-- ARGV[7] the only GPU ids that may be granted (JSON array), or null for any
-- ARGV[8] reservation ids whose owner was seen alive (JSON array)
-- ARGV[9] the GPU ids nvidia-smi lists (JSON array), or null when it could not read: others do not exist
-- ARGV[10] how long history records are kept (s): a lapsed reservation a grant overwrites is recorded
-- Returns {'ok', id...} | {'locked'} | {'uninitialized'} | {'resize', count}
--   | {'short', available, in_use, not_found}
--- @include "includes/pool"
--- @include "includes/slot"
--- @include "includes/history"

if redis.call('EXISTS', KEYS[2]) == 1 then return { 'locked' } end
local mismatch = pool_mismatch(3)
if mismatch then return mismatch end

local live = { now = tonumber(ARGV[1]), stale_after = tonumber(ARGV[3]), dead = set_of(cjson.decode(ARGV[6])), alive = set_of(cjson.decode(ARGV[8])) }
local wanted = tonumber(ARGV[2])
local in_use = set_of(cjson.decode(ARGV[5]))
local only = cjson.decode(ARGV[7])
if only == cjson.null then only = nil else only = set_of(only) end
local listed = cjson.decode(ARGV[9] or 'null')
if listed == cjson.null then listed = nil else listed = set_of(listed) end

local candidates, free, not_found = {}, 0, 0
for i = 3, #KEYS do
  local id = i - 3
  local ok, raw = pcall(redis.call, 'GET', KEYS[i])
  if ok then
    local slot = read_slot(raw, live)
    if not slot.problem and not slot.active and (not only or only[id]) then
      free = free + 1
      if listed and not listed[id] then
        not_found = not_found + 1
      elseif not in_use[id] then
        table.insert(candidates, { id = id, at = slot.released_at or -math.huge, slot = slot })
      end
    end
  end
end
if #candidates < wanted then return { 'short', #candidates, free - not_found - #candidates, not_found } end

table.sort(candidates, function(a, b)
  if a.at ~= b.at then return a.at < b.at end
  return a.id < b.id
end)
local granted = { 'ok' }
for n = 1, wanted do
  local id, slot = candidates[n].id, candidates[n].slot
  if slot.ended then record_history(id, slot.entry, slot.start, slot.ended, slot.reason, live.now, tonumber(ARGV[10])) end
  redis.call('SET', KEYS[id + 3], ARGV[4])
  table.insert(granted, id)
end
return granted
