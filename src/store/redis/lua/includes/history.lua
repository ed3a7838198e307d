-- The Go rewrite's usage history, so its `report` (and its MRU policy) counts our reservations: a sorted
-- set of JSON records scored by end time in Unix seconds, fields user, gpu_id, start_time and end_time
-- (RFC 3339), duration_seconds, reservation_type (github.com/russellb/canhazgpu,
-- internal/redis_client/client.go RecordUsageHistory, internal/types/types.go UsageRecord). Ours, which
-- it ignores: note, end_reason, reservation_id.
--- @include "includes/slot"

local HISTORY_KEY = 'canhazgpu:usage_history_sorted'

-- Whole Unix seconds as RFC 3339 in UTC (civil_from_days, the inverse of time.lua's days_from_civil).
local function rfc3339(t)
  local days = math.floor(t / 86400)
  local secs = t - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02dZ', y, m, d, math.floor(secs / 3600), math.floor(secs % 3600 / 60), secs % 60)
end

-- Records GPU `gpu_id`'s reservation `entry` (a decoded GPU key) as ended at `end_s` for `reason`, and drops
-- records older than `retention_s` before `now`.
local function record_history(gpu_id, entry, start_s, end_s, reason, now, retention_s)
  start_s = math.floor(tonumber(start_s) or 0)
  end_s = math.floor(tonumber(end_s) or start_s)
  if end_s < start_s then end_s = start_s end
  local note = field(entry, 'note')
  if type(note) ~= 'string' then note = '' end
  local id = field(entry, 'reservation_id')
  if type(id) ~= 'string' then id = nil end
  local record = cjson.encode({
    user = field(entry, 'user'), gpu_id = gpu_id, start_time = rfc3339(start_s), end_time = rfc3339(end_s),
    duration_seconds = end_s - start_s, reservation_type = is_manual(entry) and 'manual' or 'run',
    note = note, end_reason = reason, reservation_id = id,
  })
  redis.call('ZADD', HISTORY_KEY, end_s, record)
  redis.call('ZREMRANGEBYSCORE', HISTORY_KEY, '-inf', '(' .. math.floor(now - retention_s))
  redis.call('EXPIRE', HISTORY_KEY, math.ceil(retention_s))
end

-- A reservation's start in seconds (the Go tool may write RFC 3339), its end when it lapsed already.
local function start_of(entry)
  local start = to_seconds(field(entry, 'start_time'))
  if type(start) ~= 'number' then return 0 end
  return start
end
