-- bench/orders.lua: wrk script for POST /api/orders (cart -> order), used by bench/run.
-- Arguments (after wrk's --): BUYERS_FILE THREADS SLOTS_FILE
--   BUYERS_FILE: one "TOKEN ADDRESS_ID" line per prepared buyer (a customer whose cart
--                holds one cake); SLOTS_FILE: one offered slot start per line.
-- Each thread takes every THREADS-th buyer and places ONE order per buyer, with a
-- distinct Idempotency-Key, rotating over the slots. A thread that runs out of buyers
-- reuses its last one: that cart is empty, the app answers 422, wrk counts a non-2xx
-- answer and bench/run fails (make more buyers rather than read a wrong number).

local counter = 0

function setup(thread)
  thread:set("idx", counter)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(args[2])
  buyers, slots, k = {}, {}, 0
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == idx then
      local tok, aid = line:match("^(%S+) (%S+)$")
      buyers[#buyers + 1] = { tok = tok, aid = aid }
    end
    i = i + 1
  end
  for line in io.lines(args[3]) do slots[#slots + 1] = line end
end

function request()
  k = k + 1
  local b = buyers[k] or buyers[#buyers]
  local body = '{"addressId":"' .. b.aid .. '","deliverySlot":"' .. slots[(k % #slots) + 1] .. '"}'
  return wrk.format("POST", "/api/orders", {
    ["Authorization"] = "Bearer " .. b.tok,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "wrk-" .. idx .. "-" .. k,
  }, body)
end
