-- Takes a host's prober lock: when no one holds it, or when its holder is the one the caller found dead.
-- KEYS[1] the host's reading lock
-- ARGV[1] the prober (its encoded owner)  ARGV[2] how long it holds the lock (ms)  ARGV[3] the dead holder it
-- replaces ('' none)
-- Returns {'claimed'} | {'held'} (another holds the lock)
local holder = redis.call('GET', KEYS[1])
if holder and (ARGV[3] == '' or holder ~= ARGV[3]) then return { 'held' } end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return { 'claimed' }
