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

local function days_in_month(y, m)
  if m == 2 then
    local leap = (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
    return leap and 29 or 28
  end
  if m == 4 or m == 6 or m == 9 or m == 11 then return 30 end
  return 31
end

local function to_seconds(value)
  if value == nil or value == cjson.null then return nil end
  if type(value) == 'number' then return value end
  if type(value) ~= 'string' then return false end
  -- Decimal digits only, as src/store/redis/schema.ts reads them (tonumber would take 0x10 or inf).
  if string.match(value, '^%s*%-?%d+%s*$') or string.match(value, '^%s*%-?%d+%.%d+%s*$') then return tonumber(value) end
  local y, mo, d, h, mi, s, rest = string.match(value, '^(%d%d%d%d)-(%d%d)-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$')
  if not y then return false end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
  -- Every field in its range, as src/store/redis/schema.ts checks them.
  if mo < 1 or mo > 12 or d < 1 or d > days_in_month(y, mo) or h > 23 or mi > 59 or s > 59 then return false end
  local tz = rest
  if string.sub(rest, 1, 1) == '.' then
    tz = string.match(rest, '^%.%d+(.*)$')
    if not tz then return false end -- a point with no digits
  end
  local t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
  if tz == 'Z' or tz == 'z' then return t end
  local sign, th, tm = string.match(tz, '^([+-])(%d%d):(%d%d)$')
  if not sign or tonumber(th) > 23 or tonumber(tm) > 59 then return false end
  local offset = tonumber(th) * 3600 + tonumber(tm) * 60
  if sign == '+' then return t - offset end
  return t + offset
end
