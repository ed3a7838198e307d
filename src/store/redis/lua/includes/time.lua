-- Timestamps in the shared schema: Unix seconds as JSON numbers (the Python tool), or RFC 3339
-- strings (the Go tool may write those). to_seconds returns nil when absent, false when unreadable.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function to_seconds(value)
  if value == nil or value == cjson.null then return nil end
  if type(value) == 'number' then return value end
  if type(value) ~= 'string' then return false end
  -- Decimal digits only, as src/store/redis/schema.ts reads them (tonumber would take 0x10 or inf).
  if string.match(value, '^%s*%-?%d+%s*$') or string.match(value, '^%s*%-?%d+%.%d+%s*$') then return tonumber(value) end
  local y, mo, d, h, mi, s, tz = string.match(value, '^(%d%d%d%d)-(%d%d)-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)%.?%d*(.*)$')
  if not y then return false end
  local t = days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400
    + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
  if tz == 'Z' or tz == 'z' then return t end
  local sign, th, tm = string.match(tz, '^([+-])(%d%d):(%d%d)$')
  if not sign then return false end
  local offset = tonumber(th) * 3600 + tonumber(tm) * 60
  if sign == '+' then return t - offset end
  return t + offset
end
