-- Adds seconds of GPU use seen without a reservation, and forgets the days past the retention.
-- One hash per UTC day, field `<hour start ms>|<user>` counting seconds; a sorted set lists the days that
-- have one (scored and named by the day's start in ms), so a window of any length reads only those.
-- KEYS[1] the pool's unreserved_days  KEYS[2..] the pool's unreserved:<yyyy-mm-dd> the uses fall in
-- ARGV[1] now (ms)  ARGV[2] how long uses are kept (s)
-- ARGV[3..] five per use: its day's index in KEYS, the day's start (ms), the hour's start (ms), user, seconds
local now = tonumber(ARGV[1])
local retention_s = tonumber(ARGV[2])
local DAY_S = 86400
-- A day's keys outlive its last use by a day past the retention, so an idle pool cleans up after itself.
local keep_s = retention_s + DAY_S
for i = 3, #ARGV - 4, 5 do
  local day = KEYS[tonumber(ARGV[i])]
  redis.call('HINCRBYFLOAT', day, ARGV[i + 2] .. '|' .. ARGV[i + 3], ARGV[i + 4])
  redis.call('EXPIRE', day, keep_s)
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i + 1])
end
-- Whole days older than the retention leave the index; their hashes expire by themselves.
local oldest = math.floor(now - (retention_s + DAY_S) * 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.0f', oldest))
redis.call('EXPIRE', KEYS[1], keep_s)
return 1
