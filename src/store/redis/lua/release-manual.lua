-- Ends one user's live manual reservations, whichever tool made them (the OS account is
-- actual_user when the Go tool set it, else user), each recorded in the history.
-- KEYS[1] canhazgpu:gpu_count, KEYS[2..] canhazgpu:gpu:0..n-1
-- ARGV[1..5] as includes/own-manual reads them  ARGV[6] how long history records are kept (s)
-- ARGV[7] the only GPU ids to release (JSON array; `release -G`), or null (absent) for all of them
-- Returns {'ok', id...} (the ids released) | {'uninitialized'} | {'resize', count}
--- @include "includes/pool"
--- @include "includes/own-manual"
--- @include "includes/history"

local user, live = user_scope()
local mismatch = pool_mismatch(2)
if mismatch then return mismatch end
local only = cjson.decode(ARGV[7] or 'null')
if only == cjson.null then only = nil else only = set_of(only) end
local released = { 'ok' }
each_own_manual(user, live, function(i, e)
  if not only or only[i - 2] then
    record_history(i - 2, e, start_of(e), live.now, 'released', live.now, tonumber(ARGV[6]))
    redis.call('SET', KEYS[i], released_entry(math.floor(live.now), e))
    table.insert(released, i - 2)
  end
end)
return released
