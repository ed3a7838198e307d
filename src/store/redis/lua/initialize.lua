-- Sets the pool size as the other tools' `admin` does: refuses an initialised pool unless forced,
-- and a forced run deletes every GPU key. KEYS[1] canhazgpu:gpu_count, KEYS[2] canhazgpu:pool_owner,
-- KEYS[3..] existing GPU keys.
-- ARGV[1] new count  ARGV[2] '1' to force  ARGV[3] who sets it up (JSON), '' when unknown
-- Returns {'ok', previous value or false} | {'exists', previous value}
local previous = redis.call('GET', KEYS[1])
if previous and ARGV[2] ~= '1' then return { 'exists', previous } end
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
-- Keys written since the caller listed them (another tool's allocation) go too.
local old = tonumber(previous or '') or 0
if old > 1024 then old = 1024 end
for i = 0, old - 1 do redis.call('DEL', 'canhazgpu:gpu:' .. i) end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) else redis.call('DEL', KEYS[2]) end
return { 'ok', previous }
