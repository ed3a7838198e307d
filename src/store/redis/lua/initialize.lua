-- Sets the pool size as the other tools' `admin` does: refuses an initialised pool unless forced,
-- and a forced run deletes every GPU key. KEYS[1] gpu_count, KEYS[2] pool_owner,
-- KEYS[3] canhazgpu:pool_host (the plain keys' host) when ARGV[7] claims them, else a key of the pool's own
-- slot that is never read (a Redis Cluster takes keys of one slot), KEYS[4..] existing GPU keys.
-- ARGV[1] new count  ARGV[2] '1' to force  ARGV[3] who sets it up (JSON), '' when unknown
-- ARGV[4] now (s)  ARGV[5] how long history records are kept (s): each reservation cleared is recorded,
-- as forced, or as it lapsed (judged without owner checks: a stale heartbeat)
-- ARGV[6] the pool's key prefix  ARGV[7] this host when it sets up (or claims) the plain keys, else ''
-- Returns {'ok', previous value or false} | {'exists', previous value} | {'moved', the plain keys' host}
--- @include "includes/history"
local prefix, claimant = ARGV[6], ARGV[7]
if claimant ~= '' then
  local holder = redis.call('GET', KEYS[3])
  if holder and holder ~= claimant then return { 'moved', holder } end
end
local previous = redis.call('GET', KEYS[1])
if previous and ARGV[2] ~= '1' then
  -- A pool the other tools (or an earlier version) set up becomes this host's.
  if claimant ~= '' then redis.call('SET', KEYS[3], claimant) end
  return { 'exists', previous }
end
local now, retention = tonumber(ARGV[4]), tonumber(ARGV[5])
local live = { now = now, stale_after = 300, dead = {}, alive = {} }
local function clear(key)
  if previous then
    local ok, raw = pcall(redis.call, 'GET', key)
    local slot = ok and raw and read_slot(raw, live)
    local id = string.sub(key, 1, #prefix) == prefix and tonumber(string.match(string.sub(key, #prefix + 1), '^gpu:(%d+)$'))
    if slot and slot.active and id then
      record_history(id, slot.entry, start_of(slot.entry), now, 'forced', now, retention)
    elseif slot and slot.ended and id then
      record_history(id, slot.entry, slot.start, slot.ended, slot.reason, now, retention)
    end
  end
  redis.call('DEL', key)
end
for i = 4, #KEYS do clear(KEYS[i]) end
-- Keys written since the caller listed them (another tool's allocation) go too.
local old = tonumber(previous or '') or 0
if old > 1024 then old = 1024 end
for i = 0, old - 1 do clear(prefix .. 'gpu:' .. i) end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) else redis.call('DEL', KEYS[2]) end
if claimant ~= '' then redis.call('SET', KEYS[3], claimant) end
return { 'ok', previous }
