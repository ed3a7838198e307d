-- allocate.lua, granting only while the wait queue (canhazgpu:queue, the Go rewrite's sorted set) holds
-- exactly the waiters the caller judged, in order: else {'queue_changed'} and the caller looks again. A
-- waiter granted leaves the queue in the same step (its id is the reservation's token).
-- The queue's keys are named here rather than in KEYS, so allocate.lua's KEYS stay as they are.
-- KEYS and ARGV as allocate.lua, then two more, last (so allocate.lua may take more before them):
-- the queue's member ids as the caller saw them (JSON array), and the reservation's token
local seen = cjson.decode(ARGV[#ARGV - 1])
local waiter = ARGV[#ARGV]
local members = redis.call('ZRANGE', 'canhazgpu:queue', 0, -1)
if #members ~= #seen then return { 'queue_changed' } end
for i = 1, #members do
  if members[i] ~= seen[i] then return { 'queue_changed' } end
end

local function allocate()
--- @include "allocate"
end

local reply = allocate()
if reply[1] == 'ok' then
  redis.call('ZREM', 'canhazgpu:queue', waiter)
  redis.call('DEL', 'canhazgpu:queue:entry:' .. waiter)
end
return reply
