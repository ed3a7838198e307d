-- Calls fn(i, entry) for each GPU key, from KEYS[first] on, held under reservation id `id`.
local function each_held(first, id, fn)
  for i = first, #KEYS do
    local ok, raw = pcall(redis.call, 'GET', KEYS[i])
    if ok and raw then
      local decoded, entry = pcall(cjson.decode, raw)
      if decoded and type(entry) == 'table' and entry.reservation_id == id and type(entry.user) == 'string' then
        fn(i, entry)
      end
    end
  end
end
