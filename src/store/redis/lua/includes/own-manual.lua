-- The scripts over one user's manual reservations (release, extend) read their arguments alike:
-- ARGV[1] user  ARGV[2] now (s)  ARGV[3] stale after (s)  ARGV[4] dead reservation ids (JSON array)
-- ARGV[5] reservation ids whose owner was seen alive (JSON array); the GPU keys from KEYS[2] on.
--- @include "includes/slot"

local function user_scope()
  return ARGV[1], { now = tonumber(ARGV[2]), stale_after = tonumber(ARGV[3]), dead = set_of(cjson.decode(ARGV[4])), alive = set_of(cjson.decode(ARGV[5])) }
end

-- Calls fn(i, entry) for each GPU key that a live manual reservation of `user` holds, whichever tool
-- made it (the OS account is actual_user when the Go tool set it, else user).
local function each_own_manual(user, live, fn)
  for i = 2, #KEYS do
    local ok, raw = pcall(redis.call, 'GET', KEYS[i])
    if ok then
      local slot = read_slot(raw, live)
      if slot.active and owner_of(slot.entry) == user and is_manual(slot.entry) then fn(i, slot.entry) end
    end
  end
end
