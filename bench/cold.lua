-- Every request searches a different 4-digit fragment of the generated names
-- (e.g. "4821"), so nearly every request misses the list cache and measures
-- the database path: trigram index, sort, count.
math.randomseed(os.time())
local key = os.getenv("INLET_BENCH_KEY")
request = function()
  local term = string.format("%04d", math.random(0, 9999))
  local path = "/api/v1/source-connections?search=" .. term .. "&sortBy=name&sortOrder=asc&pageSize=20"
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end
