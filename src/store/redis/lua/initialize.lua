-- Sets the pool size as the other tools' `admin` does: refuses an initialised pool unless forced,
-- and a forced run deletes every GPU key. KEYS[1] gpu_count, KEYS[2] pool_owner,
-- KEYS[3] canhazgpu:pool_host (the plain keys' host), KEYS[4..] existing GPU keys.
-- ARGV[1] new count  ARGV[2] '1' to force  ARGV[3] who sets it up (JSON), '' when unknown
-- ARGV[4] the pool's key prefix  ARGV[5] this host when it sets up (or claims) the plain keys, else ''
-- Returns {'ok', previous value or false} | {'exists', previous value} | {'moved', the plain keys' host}
if ARGV[5] ~= '' then
  local holder = redis.call('GET', KEYS[3])
  if holder and holder ~= ARGV[5] then return { 'moved', holder } end
end
local previous = redis.call('GET', KEYS[1])
if previous and ARGV[2] ~= '1' then
  -- A pool the other tools (or an earlier version) set up becomes this host's.
  if ARGV[5] ~= '' then redis.call('SET', KEYS[3], ARGV[5]) end
  return { 'exists', previous }
end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
-- Keys written since the caller listed them (another tool's allocation) go too.
local old = tonumber(previous or '') or 0
if old > 1024 then old = 1024 end
for i = 0, old - 1 do redis.call('DEL', ARGV[4] .. 'gpu:' .. i) end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) else redis.call('DEL', KEYS[2]) end
if ARGV[5] ~= '' then redis.call('SET', KEYS[3], ARGV[5]) end
return { 'ok', previous }
