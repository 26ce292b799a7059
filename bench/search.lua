-- Search requests of one kind (QUERY_KIND), varied per request, over the
-- documents of bench/sync.sh's table: rows hold "customer N" as their name
-- and 40 words w0..w4999 from 1,000 fixed word lists.
math.randomseed(os.time())
local key = os.getenv("INLET_BENCH_KEY")
local col = os.getenv("INLET_BENCH_COLLECTION")
local kind = os.getenv("QUERY_KIND")
local rows = tonumber(os.getenv("ROWS"))

local function word() return "w" .. math.random(0, 4999) end

local makers = {
  -- A word of every document's title ("customer N").
  every = function() return "customer" end,
  -- Two words of every document: the title's, and the year of its
  -- timestamp (rows are stamped now() - N seconds).
  two_every = function() return "customer " .. os.date("%Y") end,
  -- A phrase over most documents: year and month of the timestamp (the
  -- 1,000,000 seconds before the benchmark's run span two months at most).
  phrase_most = function() return '"' .. os.date("%Y") .. ' ' .. os.date("%m") .. '"' end,
  -- A prefix of nearly every document: w1* to w4* (1,111 of the 5,000
  -- words each, so in almost every 40-word row).
  prefix_most = function() return "w" .. math.random(1, 4) .. "*" end,
  -- One vocabulary word: in about 1 % of the rows.
  common = function() return word() end,
  -- Two words: both must match.
  two_words = function() return word() .. " " .. word() end,
  -- A row's own number: one document.
  rare = function() return tostring(math.random(1, rows)) end,
  -- Two neighbours of a word list, as a phrase.
  phrase = function()
    local k, j = math.random(0, 999), math.random(1, 39)
    local a = (k * 7919 + j * 104729) % 5000
    local b = (k * 7919 + (j + 1) * 104729) % 5000
    return '"w' .. a .. ' w' .. b .. '"'
  end,
  -- A three-character prefix: w10* matches w10, w100..w109, w1000..w1099.
  prefix = function() return "w" .. math.random(10, 49) .. "*" end,
  -- Nothing matches.
  none = function() return "zq" .. math.random(0, 999999) end,
}
local make = makers[kind]

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

request = function()
  local path = "/api/v1/collections/" .. col .. "/search?limit=20&q=" .. encode(make())
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
