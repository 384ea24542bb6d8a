-- wrk script for benches/soak.sh: a fixed mix of clean requests, attacks and bodies, sent in
-- turn. The first path segment names the kind, so the access log ('$uri $status') tells which
-- answers each kind got; soak.sh checks clean ones got 200 and attacks 403.
local form = "name=Alice+Example&email=alice%40example.com&city=Amsterdam&comment=hello+there&n=42"
local json = '{"user":{"name":"Alice","roles":["reader","writer"],"age":31},"items":[1,2,3],"note":"nice day"}'
local boundary = "----soakBoundary7MA4YWxkTrZu0gW"
local multipart = "--" .. boundary .. "\r\n" ..
  'Content-Disposition: form-data; name="title"\r\n\r\nquarterly report\r\n' ..
  "--" .. boundary .. "\r\n" ..
  'Content-Disposition: form-data; name="file"; filename="report.csv"\r\nContent-Type: text/csv\r\n\r\n' ..
  string.rep("2024-01-01,store-12,1234.50,ok\n", 60) .. "\r\n" ..
  "--" .. boundary .. "--\r\n"

local browser = {
  ["Host"] = "localhost",
  ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  ["Accept-Language"] = "en-US,en;q=0.5",
  ["Cookie"] = "session=3f9a1c2b7d; theme=dark",
}

local function with(extra)
  local h = {}
  for k, v in pairs(browser) do h[k] = v end
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

local requests = {}
local function add(weight, method, path, headers, body)
  local r = wrk.format(method, path, headers, body)
  for _ = 1, weight do table.insert(requests, r) end
end

-- 20 slots: 8 clean GETs, 4 attacks in the query, 3 forms, 2 JSON, 2 uploads, 1 JSON attack.
add(8, "GET", "/clean/products?category=books&page=2&sort=price", with())
add(1, "GET", "/sqli/search?q=1%27%20union%20select%20password%20from%20users--", with())
add(1, "GET", "/xss/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E", with())
add(1, "GET", "/lfi/download?file=..%2f..%2f..%2fetc%2fpasswd", with())
add(1, "GET", "/rce/ping?host=127.0.0.1%3Bcat%20/etc/passwd", with())
add(3, "POST", "/form/submit", with({["Content-Type"] = "application/x-www-form-urlencoded"}), form)
add(2, "POST", "/json/api", with({["Content-Type"] = "application/json"}), json)
add(2, "POST", "/upload/files", with({["Content-Type"] = "multipart/form-data; boundary=" .. boundary}), multipart)
add(1, "POST", "/jsonattack/api", with({["Content-Type"] = "application/json"}),
  '{"user":{"name":"x\' or 1=1--","roles":["<script>alert(1)</script>"]}}')

local i = 0
function init(args)
  -- threads start at different points of the mix
  i = math.random(#requests)
end

function request()
  i = i % #requests + 1
  return requests[i]
end
