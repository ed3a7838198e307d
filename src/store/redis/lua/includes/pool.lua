-- KEYS[1] is canhazgpu:gpu_count and the GPU keys start at KEYS[first]. They must match the pool:
-- admin may have resized it since the caller read its size. Returns the reply to give back, or nil.
local function pool_mismatch(first)
  local count = tonumber(redis.call('GET', KEYS[1]) or '')
  if not count then return { 'uninitialized' } end
  if count ~= #KEYS - first + 1 then return { 'resize', count } end
  return nil
end
