-- Refreshes one host's record in the fleet's registry, keeping the fields this call does not carry.
-- KEYS[1] canhazgpu:hosts  ARGV[1] host  ARGV[2] the fields to set (JSON object)
-- ARGV[3] (optional) how long (ms) a record stays fresh: one whose last_seen is that recent, and whose other
-- fields already hold these values, is left alone, so a burst of commands writes the registry once.
-- Returns 1 when it wrote the record, 0 when it was fresh.
local ok, record = pcall(cjson.decode, redis.call('HGET', KEYS[1], ARGV[1]) or '{}')
if not ok or type(record) ~= 'table' then record = {} end
local patch = cjson.decode(ARGV[2])
local fresh_ms = tonumber(ARGV[3] or '')
if fresh_ms and type(record.last_seen) == 'number' and type(patch.last_seen) == 'number' then
  local age = patch.last_seen - record.last_seen
  local same = age >= 0 and age < fresh_ms
  for name, value in pairs(patch) do
    if name ~= 'last_seen' and record[name] ~= value then same = false end
  end
  if same then return 0 end
end
for name, value in pairs(patch) do record[name] = value end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1
