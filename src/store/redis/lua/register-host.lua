-- Refreshes one host's record in the fleet's registry, keeping the fields this call does not carry.
-- KEYS[1] canhazgpu:hosts  ARGV[1] host  ARGV[2] the fields to set (JSON object)
local ok, record = pcall(cjson.decode, redis.call('HGET', KEYS[1], ARGV[1]) or '{}')
if not ok or type(record) ~= 'table' then record = {} end
for name, value in pairs(cjson.decode(ARGV[2])) do record[name] = value end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1
