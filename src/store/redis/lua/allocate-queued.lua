-- allocate.lua, granting only while the pool's wait queue (canhazgpu:queue, the Go rewrite's sorted set, or
-- canhazgpu:{host}:queue for a fleet's other hosts, beside the gpu_count that is KEYS[1]) holds
-- exactly the waiters the caller judged, in order: else {'queue_changed'} and the caller looks again. A
-- waiter granted leaves the queue in the same step (its id is the reservation's token).
-- The queue's keys are named here rather than in KEYS, so allocate.lua's KEYS stay as they are.
-- KEYS and ARGV as allocate.lua, then two more, last (so allocate.lua may take more before them):
-- the queue's member ids as the caller saw them (JSON array), and the reservation's token
local QUEUE_KEY = string.sub(KEYS[1], 1, -1 - #'gpu_count') .. 'queue'
local seen = cjson.decode(ARGV[#ARGV - 1])
local waiter = ARGV[#ARGV]
local members = redis.call('ZRANGE', QUEUE_KEY, 0, -1)
if #members ~= #seen then return { 'queue_changed' } end
for i = 1, #members do
  if members[i] ~= seen[i] then return { 'queue_changed' } end
end

local function allocate()
--- @include "allocate"
end

local reply = allocate()
if reply[1] == 'ok' then
  redis.call('ZREM', QUEUE_KEY, waiter)
  redis.call('DEL', QUEUE_KEY .. ':entry:' .. waiter)
end
return reply
