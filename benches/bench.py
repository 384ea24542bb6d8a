#!/usr/bin/env python3
"""Load, memory and hostile-input benchmark: nginx alone vs. + secrules vs. + ModSecurity v3,
both engines running OWASP CRS v4.28.0 in blocking mode at paranoia levels 1 and 4.

Started by benches/run.sh (which installs the packages and builds the module); see the README's
"Benchmarks" section. Python 3 standard library only. Writes results.md, results.json and
results.svg into --out (default: benches/).

Parts:
  load     wrk against every configuration and traffic type, alternating, repeated rounds
  memory   a generated configuration with 100 server blocks each enabling CRS v4 and 1,000
           locations with rule overrides: `nginx -t` wall time and RSS after start
  hostile  large and crafted request bodies, timed one request at a time
"""

import argparse
import datetime
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "benches")

CONFIGS = [
    # name, label, engine, paranoia level
    ("nginx", "nginx alone", None, None),
    ("secrules-pl1", "secrules PL1", "secrules", 1),
    ("modsec-pl1", "ModSecurity PL1", "modsecurity", 1),
    ("secrules-pl4", "secrules PL4", "secrules", 4),
    ("modsec-pl4", "ModSecurity PL4", "modsecurity", 4),
]
CONFIG_LABEL = {c[0]: c[1] for c in CONFIGS}
CONFIG_ENGINE = {c[0]: (c[2], c[3]) for c in CONFIGS}

# the headers of a browser's request, shared with benches/engine.rs
with open(os.path.join(BENCH, "browser-headers.txt")) as _f:
    BROWSER_HEADERS = [tuple(line.rstrip("\n").split(": ", 1)) for line in _f if line.strip()]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def die(msg):
    print(f"bench: ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


# --------------------------------------------------------------------------------------------
# Traffic


def words(rng, n, alphabet="abcdefghijklmnopqrstuvwxyz"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_traffic():
    """The five request types. Values are letters, digits, '-' and '.': a clean request must be
    clean at paranoia level 4 too (PL4 restricts ARGS to a few byte values, e.g. no spaces)."""
    rng = random.Random(7)
    traffic = []

    traffic.append(dict(
        name="get-clean", label="clean GET", expect=200, method="GET",
        target="/shop/search?q=walking-shoes&category=outdoor&size=42&sort=price_asc&page=2",
        headers=list(BROWSER_HEADERS), body=b""))

    traffic.append(dict(
        name="get-sqli", label="SQLi GET (blocked)", expect=403, method="GET",
        target="/shop/search?q=" + urllib.parse.quote("1' OR '1'='1' --") + "&category=outdoor",
        headers=list(BROWSER_HEADERS), body=b""))

    # ~2 KB urlencoded form, 42 arguments
    fields = []
    for i in range(42):
        fields.append((f"field{i:02d}_{words(rng, 4)}", words(rng, 34, "abcdefghijklmnopqrstuvwxyz0123456789")))
    form = urllib.parse.urlencode(fields).encode()
    traffic.append(dict(
        name="post-form", label="2 KB form POST", expect=200, method="POST", target="/shop/checkout",
        headers=list(BROWSER_HEADERS) + [("Content-Type", "application/x-www-form-urlencoded")],
        body=form, note=f"{len(form)} bytes, {len(fields)} args"))

    # ~20 KB JSON, ~950 values
    items = []
    for i in range(190):
        items.append({
            "id": 100000 + i,
            "name": words(rng, 9) + "-" + words(rng, 8),
            "sku": "SKU-" + words(rng, 10, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"),
            "quantity": rng.randint(1, 20),
            "price": f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
        })
    doc = json.dumps({"order": "ord-" + words(rng, 12), "items": items}, separators=(",", ":")).encode()
    nvalues = 1 + 5 * len(items)
    traffic.append(dict(
        name="post-json", label="20 KB JSON POST", expect=200, expect_pl4=403, method="POST", target="/api/orders",
        headers=[h for h in BROWSER_HEADERS if h[0] not in ("Upgrade-Insecure-Requests",)]
        + [("Content-Type", "application/json")],
        body=doc, note=f"{len(doc)} bytes, {nvalues} values"))

    # ~100 KB multipart upload: one form field and a CSV file
    boundary = "----benchboundary" + words(rng, 16, "0123456789abcdef")
    rows = []
    size = 0
    while size < 100 * 1024:
        row = ",".join([str(rng.randint(1, 99999)), words(rng, 12), words(rng, 8), f"{rng.randint(0, 9999)}.{rng.randint(0, 99):02d}"]) + "\n"
        rows.append(row)
        size += len(row)
    csv = "".join(rows)
    parts = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="description"\r\n\r\n'
        "quarterly-inventory\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="upload"; filename="inventory.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        f"{csv}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    traffic.append(dict(
        name="post-multipart", label="100 KB multipart upload", expect=200, expect_pl4=403, method="POST",
        target="/upload",
        headers=list(BROWSER_HEADERS) + [("Content-Type", f"multipart/form-data; boundary={boundary}")],
        body=parts, note=f"{len(parts)} bytes, 1 file"))
    return traffic


def expected_status(t, config):
    """What a configuration must answer. nginx alone: 200. At paranoia level 4 CRS blocks every
    JSON and multipart body whatever it holds (920272/920273 restrict REQUEST_BODY to a few
    byte values, and `{`, `"` or CR/LF are not among them); both engines agree, and the request
    still runs every phase-2 rule before the anomaly score blocks it (949110)."""
    engine, level = CONFIG_ENGINE[config]
    if not engine:
        return 200
    if level == 4:
        return t.get("expect_pl4", t["expect"])
    return t["expect"]


def write_request_file(path, t):
    """The request description that benches/wrk/request.lua reads."""
    with open(path, "wb") as f:
        f.write(f"{t['method']} {t['target']}\n".encode())
        for name, value in t["headers"]:
            f.write(f"{name}: {value}\n".encode())
        f.write(b"\n")
        f.write(t["body"])


def raw_request(port, method, target, headers, body, timeout=120):
    """One request on a fresh connection (Connection: close). Returns (status, seconds)."""
    head = f"{method} {target} HTTP/1.1\r\n"
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    head += "Connection: close\r\n\r\n"
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode() + body)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    elapsed = time.perf_counter() - start
    try:
        status = int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return status, elapsed


# --------------------------------------------------------------------------------------------
# nginx instances


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stat(pid):
    """(utime + stime in clock ticks, ppid) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12]), int(fields[1])


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def proc_pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if proc_stat(int(entry))[1] == pid:
                    out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def limit_memory(gb):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (gb << 30, gb << 30))
    return apply



def kill_all(pids):
    """SIGKILL each process that is still there."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

class Nginx:
    def __init__(self, args, name, prefix, conf_text, port):
        self.args, self.name, self.prefix, self.port = args, name, prefix, port
        for sub in ("conf", "logs", "tmp"):
            os.makedirs(os.path.join(prefix, sub), exist_ok=True)
        self.conf = os.path.join(prefix, "conf", "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.proc = None

    def cmd(self, *extra):
        return [self.args.nginx, "-p", self.prefix, "-c", self.conf, *extra]

    def test(self, timeout=900):
        """Runs `nginx -t`: (ok, seconds, output)."""
        start = time.perf_counter()
        try:
            p = subprocess.run(self.cmd("-t"), capture_output=True, text=True, timeout=timeout,
                               preexec_fn=limit_memory(self.args.mem_limit_gb))
        except subprocess.TimeoutExpired:
            return False, time.perf_counter() - start, f"timed out after {timeout} s"
        return p.returncode == 0, time.perf_counter() - start, p.stderr + p.stdout

    def start(self, deadline_s=900):
        self.proc = subprocess.Popen(self.cmd("-g", "daemon off;"), stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.prefix, "logs", "stderr.log"), "w"),
                                     preexec_fn=limit_memory(self.args.mem_limit_gb))
        deadline = time.time() + deadline_s
        while True:
            if self.proc.poll() is not None:
                die(f"nginx ({self.name}) exited with {self.proc.returncode}:\n" + self.error_log()[-3000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                die(f"nginx ({self.name}) did not listen on {self.port} within {deadline_s} s")
            time.sleep(0.05)
        for _ in range(200):
            workers = children(self.proc.pid)
            if workers:
                self.worker = workers[0]
                return self
            time.sleep(0.05)
        die(f"nginx ({self.name}): no worker process")

    def stop(self):
        """Graceful stop; a master that does not exit within 10 s (a worker stuck in a
        request) is killed together with its workers, so nothing keeps burning CPU."""
        if self.proc and self.proc.poll() is None:
            workers = children(self.proc.pid)
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_all(workers + [self.proc.pid])
                self.proc.wait()
        self.proc = None

    def restart(self):
        """Kills a worker stuck in a request (and its master) and starts the instance again."""
        kill_all([self.worker, self.proc.pid])
        self.proc.wait()
        self.proc = None
        self.start()

    def error_log(self):
        try:
            with open(os.path.join(self.prefix, "logs", "error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cpu_ticks(self):
        return proc_stat(self.worker)[0]

    def stub_status(self):
        """(active connections, requests) from the instance's stub_status server."""
        # the one worker answers this too, after the request it is busy with: wait long
        with socket.create_connection(("127.0.0.1", self.status_port), timeout=900) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\nHost: status\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        text = data.decode().split("\r\n\r\n", 1)[1]
        lines = text.splitlines()
        active = int(lines[0].split(":")[1])
        requests = int(lines[2].split()[2])
        return active, requests

    def drain(self, deadline_s=300):
        """Waits until the worker finished every request wrk left in flight: only the status
        connection is open, and the worker's CPU time stopped growing. Returns the moment
        (perf_counter) the last client connection was gone."""
        deadline = time.time() + deadline_s
        idle_at = None
        last = self.cpu_ticks()
        while time.time() < deadline:
            active, _ = self.stub_status()
            if active <= 1:
                if idle_at is None:
                    idle_at = time.perf_counter()
                time.sleep(0.05)
                now = self.cpu_ticks()
                if now == last:
                    return idle_at
                last = now
            else:
                time.sleep(0.02)
                last = self.cpu_ticks()
        return idle_at or time.perf_counter()

    def rss_kb(self):
        return proc_status_kb(self.worker, "VmRSS")


def main_conf(args, load_module, http_body, affinity):
    user = "user root;\n" if os.geteuid() == 0 else ""
    aff = f"worker_cpu_affinity {affinity};\n" if affinity else ""
    return f"""{load_module}
{user}worker_processes 1;
{aff}pid logs/nginx.pid;
error_log logs/error.log {args.log_level};
worker_rlimit_nofile 8192;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/plain;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    client_max_body_size 16m;
    client_body_buffer_size 2m;
    keepalive_requests 1000000;
{http_body}
}}
"""


# engine -> (module path attribute of args, prefix of its nginx directives)
ENGINES = {"secrules": ("module", "secrules"), "modsecurity": ("modsec_module", "modsecurity")}


def module_line(args, engine):
    return f"load_module {getattr(args, ENGINES[engine][0])};" if engine else ""


def waf_directives(engine, rules_file):
    if not engine:
        return ""
    d = ENGINES[engine][1]
    return f"{d} on;\n        {d}_rules_file {rules_file};" if d == "modsecurity" else f"{d} on;\n        {d}_file {rules_file};"


def upstream_block(backend_port):
    return f"""    upstream backend {{
        server 127.0.0.1:{backend_port};
        keepalive 64;
        keepalive_requests 1000000;
    }}"""


PROXY = "proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\";"


def crs_entry_file(args, workdir, level):
    """The rules entry file of one paranoia level: engine settings, CRS setup, level, rules.
    Written into the work directory because it names the CRS directory by absolute path."""
    path = os.path.join(workdir, f"crs-pl{level}.conf")
    lines = [
        f"# generated by benches/bench.py: CRS v4 at paranoia level {level}, blocking",
        f"Include {BENCH}/waf/engine.conf",
    ]
    if args.unicode_map:
        lines.append(f"SecUnicodeMapFile {args.unicode_map} 20127")
    lines += [
        f"Include {args.crs}/crs-setup.conf.example",
        f"Include {BENCH}/waf/pl{level}.conf",
        f"Include {args.crs}/rules/*.conf",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------------------------
# Part 1: load


def cpu_plan():
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None, None
    worker = cpus[-1]
    rest = cpus[:-1]
    mask = "".join("1" if i == worker else "0" for i in range(max(cpus), -1, -1))
    return worker, rest, mask


def mask_for(cpu, top):
    return "".join("1" if i == cpu else "0" for i in range(top, -1, -1))


def run_wrk(args, port, reqfile, duration, connections, wrk_cpus):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
           "-s", os.path.join(BENCH, "wrk", "request.lua"), f"http://127.0.0.1:{port}/"]
    if wrk_cpus:
        cmd = ["taskset", "-c", ",".join(map(str, wrk_cpus))] + cmd
    env = dict(os.environ, BENCH_REQUEST=reqfile)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=duration + 120)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    die(f"wrk gave no result (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")


def precheck(instances, traffic):
    """The rules must run: in every WAF configuration the attack is answered 403 (and logged by
    CRS's blocking evaluation, rule 949110) and every clean request 200; nginx alone answers 200."""
    log("checking that the rules run in every configuration")
    failures = []
    table = {}
    for name, inst in instances.items():
        engine = CONFIG_ENGINE[name][0]
        for t in traffic:
            before = len(inst.error_log())
            status, secs = raw_request(inst.port, t["method"], t["target"], t["headers"], t["body"])
            t.setdefault("latency", {})[name] = secs
            time.sleep(0.1)
            new_log = inst.error_log()[before:]
            expect = expected_status(t, name)
            table[(name, t["name"])] = status
            if status != expect:
                ids = sorted(set(part.split('"')[1] for part in new_log.split('[id ')[1:] if '"' in part))
                failures.append(f"{CONFIG_LABEL[name]} / {t['label']}: status {status}, expected {expect}; rule ids logged: {ids}")
            elif engine and expect == 403 and "949110" not in new_log:
                failures.append(f"{CONFIG_LABEL[name]} / {t['label']}: 403 but no CRS blocking evaluation (949110) in the log")
    if failures:
        die("the rules do not run as expected:\n  " + "\n  ".join(failures))
    log("ok: every configuration answers as expected (attack 403 with 949110 logged, clean requests 200; "
        "JSON and multipart 403 at PL4; nginx alone 200)")


def bench_load(args, workdir, instances, traffic, wrk_cpus):
    results = {}  # (config, traffic) -> list of runs
    order = [c[0] for c in CONFIGS]
    for rnd in range(args.rounds):
        for t in traffic:
            # alternate the configurations, rotating the start each round
            rot = order[rnd % len(order):] + order[:rnd % len(order)]
            for name in rot:
                inst = instances[name]
                latency = t["latency"][name]
                # a slow cell runs long enough for args.min_requests requests (capped)
                duration = max(args.duration, min(args.max_cell, math.ceil(args.min_requests * latency)))
                if args.warmup and latency * args.connections < 1:  # warm up only where it is cheap
                    run_wrk(args, inst.port, t["reqfile"], args.warmup, args.connections, wrk_cpus)
                    inst.drain()
                c0 = inst.cpu_ticks()
                n0 = inst.stub_status()[1]
                t0 = time.perf_counter()
                r = run_wrk(args, inst.port, t["reqfile"], duration, args.connections, wrk_cpus)
                elapsed = inst.drain() - t0
                c1 = inst.cpu_ticks()
                n1 = inst.stub_status()[1]
                # requests the worker handled: wrk's completed ones plus those it left in flight
                # (finished during the drain); the status request itself is not counted
                handled = n1 - n0 - 1
                r["handled"] = handled
                r["elapsed_s"] = elapsed
                r["cpu_s"] = (c1 - c0) / os.sysconf("SC_CLK_TCK")
                r["rss_kb"] = inst.rss_kb()
                r["rps"] = handled / elapsed
                r["cpu_us_per_req"] = r["cpu_s"] * 1e6 / max(handled, 1)
                expect = expected_status(t, name)
                sock_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
                if expect == 200:
                    r["ok"] = r["status"] == 0 and sock_errors == 0
                else:  # every answer must be >= 400 (wrk counts those as status errors)
                    r["ok"] = r["status"] == r["requests"] and sock_errors == 0
                results.setdefault((name, t["name"]), []).append(r)
                log(f"round {rnd + 1}/{args.rounds} {t['name']:15s} {name:13s} {r['rps']:9.1f} req/s ({handled} in {elapsed:.1f} s)  "
                    f"p99 {r['p99_us'] / 1000:8.2f} ms  cpu {r['cpu_us_per_req']:9.1f} us/req  "
                    f"rss {r['rss_kb'] / 1024:6.1f} MB{'' if r['ok'] else '  UNEXPECTED ANSWERS/ERRORS'}")
    summary = {}
    for (name, tname), runs in results.items():
        summary[(name, tname)] = dict(
            rps=statistics.median(r["rps"] for r in runs),
            p99_ms=statistics.median(r["p99_us"] for r in runs) / 1000,
            cpu_us=statistics.median(r["cpu_us_per_req"] for r in runs),
            rss_mb=max(r["rss_kb"] for r in runs) / 1024,
            requests=sum(r["requests"] for r in runs),
            ok=all(r["ok"] for r in runs),
            runs=runs,
        )
    return summary


# --------------------------------------------------------------------------------------------
# Part 2: memory and load time


OVERRIDES = [
    "SecRuleRemoveById 942100",
    "SecRuleRemoveById 920350",
    "SecRuleRemoveById 941100 941110",
    "SecRuleEngine DetectionOnly",
    "SecRuleRemoveById 932100",
    'SecRule REQUEST_HEADERS:X-Tenant \\"@streq blocked\\" \\"id:10005,phase:1,deny,status:403\\"',
    "SecRuleRemoveById 930100 930110",
    'SecRule ARGS:debug \\"@streq 1\\" \\"id:10007,phase:1,deny,status:403\\"',
    "SecRuleRemoveById 913100",
    "SecRuleRemoveById 921110",
]


def many_servers_conf(args, engine, rules_file, port, backend_port, servers, locations):
    blocks = [upstream_block(backend_port)]
    for s in range(servers):
        locs = []
        for l in range(locations):
            override = ""
            if engine:
                d = "secrule" if engine == "secrules" else "modsecurity_rules"
                override = f'{d} "{OVERRIDES[l % len(OVERRIDES)]}";'
            locs.append(f"        location /app{l}/ {{ {override} {PROXY} }}")
        blocks.append(f"""    server {{
        listen 127.0.0.1:{port};
        server_name s{s}.bench{' default_server' if s == 0 else ''};
        {waf_directives(engine, rules_file)}
        location / {{ {PROXY} }}
{chr(10).join(locs)}
    }}""")
    return main_conf(args, module_line(args, engine), "\n".join(blocks), None)


def memory_cases(args):
    """(label, servers, locations per server). The last one is the configuration of issue 7,
    item 3; the one without overrides shows the sharing of one rule set by many servers."""
    if args.quick:
        return [("1 server", 1, 0), ("10 servers, no overrides", 10, 0),
                ("5 servers, 50 locations", 5, 10)]
    return [("1 server", 1, 0),
            (f"{args.servers} servers, no overrides", args.servers, 0),
            (f"{args.servers // 10} servers, {args.servers // 10 * args.locations} locations", args.servers // 10, args.locations),
            (f"{args.servers} servers, {args.servers * args.locations} locations", args.servers, args.locations)]


def bench_memory(args, workdir, rules_files, backend_port):
    """`nginx -t` wall time, then start and read the RSS. Each nginx runs with an address-space
    limit (args.mem_limit_gb) and `nginx -t` with a timeout (args.load_timeout)."""
    out = {}
    cases = memory_cases(args)
    for case, servers, locations in cases:
        for name, engine in (("nginx", None), ("secrules-pl1", "secrules"), ("modsec-pl1", "modsecurity")):
            port = free_port()
            prefix = os.path.join(workdir, f"mem-{name}-{servers}-{locations}")
            inst = Nginx(args, name, prefix, many_servers_conf(args, engine, rules_files[1], port, backend_port,
                                                             servers, locations), port)
            ok, secs, output = inst.test(timeout=args.load_timeout)
            if not ok:
                lines = [l for l in output.strip().splitlines() if l.strip()]
                # the line that says why: nginx's [emerg], a panic or an allocation failure
                why = [l for l in lines if any(k in l for k in ("[emerg]", "panicked", "memory allocation", "failed"))]
                last = (why or lines or ["no output"])[0]
                if "timed out" not in last:
                    last = f"failed after {secs:.0f} s (limit {args.mem_limit_gb} GB of address space): {last[:160]}"
                else:
                    last = f"did not finish in {args.load_timeout} s"
                out[(case, name)] = dict(error=last, t_secs_failed=secs)
                log(f"memory {case} {name}: nginx -t {last}")
                continue
            times = [secs]
            # repeat while cheap (at most args.rounds runs, at most ~20 s in all)
            while len(times) < args.rounds and sum(times) < 20:
                times.append(inst.test(timeout=args.load_timeout)[1])
            inst.start()
            time.sleep(1)
            res = dict(
                t_secs=statistics.median(times), t_runs=times,
                worker_rss_mb=inst.rss_kb() / 1024,
                master_rss_mb=proc_status_kb(inst.proc.pid, "VmRSS") / 1024,
                worker_pss_mb=proc_pss_kb(inst.worker) / 1024,
            )
            inst.stop()
            out[(case, name)] = res
            log(f"memory {case:32s} {name:13s} nginx -t {res['t_secs']:7.2f} s  worker RSS {res['worker_rss_mb']:8.1f} MB  "
                f"master RSS {res['master_rss_mb']:8.1f} MB  worker PSS {res['worker_pss_mb']:8.1f} MB")
    return out, cases


# --------------------------------------------------------------------------------------------
# Part 3: hostile input

HOSTILE = [
    # name, label, builds the argument value of the given size
    ("words", "ordinary words", lambda n, rng: " ".join(words(rng, 7) for _ in range(n // 8 + 1))[:n]),
    ("sqli-run", "repeated near-match: ' or 1=", lambda n, rng: ("' or 1=" * (n // 7 + 1))[:n]),
    ("tag-run", "repeated unclosed tag: <a b=", lambda n, rng: ("<a b=" * (n // 5 + 1))[:n]),
    ("space-run", "whitespace run then a letter", lambda n, rng: " " * (n - 1) + "x"),
]


def bench_hostile(args, instances):
    """Each input at growing sizes, one request at a time. A configuration whose answer took
    longer than args.hostile_budget seconds is not sent the larger sizes (they would take
    minutes); one that does not answer within args.hostile_timeout is killed and restarted."""
    rng = random.Random(11)
    out = {}
    headers = [("Host", "localhost"), ("User-Agent", "Mozilla/5.0 bench"), ("Accept", "*/*"),
               ("Content-Type", "application/x-www-form-urlencoded")]
    for hname, hlabel, build in HOSTILE:
        too_slow = {}
        for size in args.hostile_sizes:
            body = urllib.parse.urlencode({"comment": build(size, rng)}).encode()
            for name in [c[0] for c in CONFIGS]:
                inst = instances[name]
                if name in too_slow:
                    out[(hname, size, name)] = dict(skipped=too_slow[name])
                    continue
                times, statuses = [], []
                while len(times) < args.rounds and sum(times) < args.hostile_budget:
                    try:
                        status, secs = raw_request(inst.port, "POST", "/hostile", headers, body,
                                                   timeout=args.hostile_timeout)
                    except (socket.timeout, TimeoutError):
                        status, secs = "timeout", float(args.hostile_timeout)
                        log(f"hostile {hname} {size} B {name}: no answer within {args.hostile_timeout} s, restarting it")
                        inst.restart()
                    times.append(secs)
                    statuses.append(status)
                med = statistics.median(times)
                out[(hname, size, name)] = dict(secs=med, statuses=statuses, body=len(body),
                                                timed_out=statuses[0] == "timeout")
                if med > args.hostile_budget:
                    too_slow[name] = f"{size // 1024} KB took {med:.1f} s"
                log(f"hostile {hname:10s} {size:8d} B {name:13s} {med * 1000:10.1f} ms  status {statuses}")
    return out


# --------------------------------------------------------------------------------------------
# Report


def fmt(x, digits=0):
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def write_svg(path, traffic, load):
    """Two panels of grouped bars: throughput relative to nginx alone, and worker CPU per
    request (log scale)."""
    cfgs = [c[0] for c in CONFIGS]
    colors = {"nginx": "#7f7f7f", "secrules-pl1": "#1f77b4", "secrules-pl4": "#aec7e8",
              "modsec-pl1": "#d62728", "modsec-pl4": "#ff9896"}
    W, panel_h, left, top = 980, 300, 80, 40
    H = top + 2 * (panel_h + 90) + 40
    group_w = (W - left - 20) / len(traffic)
    bar_w = group_w * 0.8 / len(cfgs)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>']

    def panel(y0, title, value, scale, ticks, tick_fmt):
        s.append(f'<text x="{left}" y="{y0 - 12}" font-size="14" font-weight="bold">{title}</text>')
        for tv in ticks:
            y = y0 + panel_h - scale(tv) * panel_h
            s.append(f'<line x1="{left}" x2="{W - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
            s.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick_fmt(tv)}</text>')
        for gi, t in enumerate(traffic):
            gx = left + gi * group_w + group_w * 0.1
            for ci, c in enumerate(cfgs):
                v = value(c, t["name"])
                if v is None:
                    continue
                h = max(0.0, min(1.0, scale(v))) * panel_h
                x = gx + ci * bar_w
                s.append(f'<rect x="{x:.1f}" y="{y0 + panel_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{colors[c]}">'
                         f'<title>{CONFIG_LABEL[c]}, {t["label"]}: {v:,.1f}</title></rect>')
            s.append(f'<text x="{gx + group_w * 0.4:.1f}" y="{y0 + panel_h + 18}" text-anchor="middle">{t["label"]}</text>')
        s.append(f'<line x1="{left}" x2="{W - 20}" y1="{y0 + panel_h}" y2="{y0 + panel_h}" stroke="black"/>')

    def rel(c, tn):
        base = load.get(("nginx", tn))
        cur = load.get((c, tn))
        if not base or not cur:
            return None
        return 100.0 * cur["rps"] / base["rps"]

    def log_axis(values):
        values = [v for v in values if v and v > 0]
        lo = 10 ** math.floor(math.log10(min(values))) if values else 1
        hi = 10 ** math.ceil(math.log10(max(values))) if values else 1e6
        if hi <= lo:
            hi = lo * 10

        def scale(v):
            return (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        ticks, v = [], lo
        while v <= hi * 1.0001:
            ticks.append(v)
            v *= 10
        return scale, ticks

    rels = [rel(c, t["name"]) for c in cfgs for t in traffic]
    scale, ticks = log_axis(rels + [100])
    panel(top + 20, "Throughput, % of nginx alone (requests/s, median; log scale)", rel, scale, ticks,
          lambda v: f"{v:g}%")
    scale, ticks = log_axis([v["cpu_us"] for v in load.values()])
    panel(top + panel_h + 130, "Worker CPU per request, microseconds (median; log scale)",
          lambda c, tn: load[(c, tn)]["cpu_us"] if (c, tn) in load else None, scale, ticks,
          lambda v: f"{v:,.0f}")
    ly = H - 25
    for ci, c in enumerate(cfgs):
        x = left + ci * 170
        s.append(f'<rect x="{x}" y="{ly - 10}" width="12" height="12" fill="{colors[c]}"/>')
        s.append(f'<text x="{x + 16}" y="{ly}">{CONFIG_LABEL[c]}</text>')
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


def machine_info(args):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    def cmd_out(*c):
        try:
            p = subprocess.run(c, capture_output=True, text=True)
            return (p.stdout + p.stderr).strip()
        except OSError:
            return "?"
    return dict(
        cpu=cpu, ncpu=os.cpu_count(),
        mem_gb=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        nginx=cmd_out(args.nginx, "-v").replace("nginx version: ", ""),
        libmodsecurity=cmd_out("dpkg-query", "-W", "-f=${Version}", "libmodsecurity3"),
        modsec_nginx=cmd_out("dpkg-query", "-W", "-f=${Version}", "libnginx-mod-http-modsecurity"),
        secrules=cmd_out("git", "-C", REPO, "describe", "--always", "--dirty"),
        wrk=cmd_out("dpkg-query", "-W", "-f=${Version}", "wrk"),
        loadavg=open("/proc/loadavg").read().split()[:3],
    )


def report(args, info, traffic, load, memory, mem_cases, hostile, started):
    L = []
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    L.append("# secrules benchmark results\n")
    L.append(f"Generated by `bash benches/run.sh{' --quick' if args.quick else ''}` on {now} "
             f"({'quick mode: 1 round, short runs' if args.quick else f'{args.rounds} rounds'}, "
             f"{(time.time() - started) / 60:.1f} minutes).\n")
    L.append(f"Machine: {info['cpu']}, {info['ncpu']} CPUs, {info['mem_gb']} GB; load average at start "
             f"{' '.join(info['loadavg'])}. nginx {info['nginx']} (one worker), libmodsecurity3 {info['libmodsecurity']} "
             f"with ModSecurity-nginx {info['modsec_nginx']}, secrules {info['secrules']}, wrk {info['wrk']}. "
             f"CRS v4.28.0, blocking (`SecRuleEngine On`, anomaly threshold 5), settings in `benches/waf/`.\n")
    if args.note:
        L.append(f"**Note:** {args.note}\n")
    L.append(f"CPU placement: {args.placement}. wrk: 1 thread, {args.connections} connections, "
             f"{args.duration} s per run after a {args.warmup} s warm-up; values are medians over rounds "
             f"(RSS: maximum).\n")

    if load:
        L.append("## Throughput, latency, CPU and memory\n")
        L.append("| traffic | configuration | requests/s | % of nginx alone | p99 latency ms | worker CPU µs/request | added CPU µs/request | worker RSS MB |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for t in traffic:
            base = load[("nginx", t["name"])]
            for c in [c[0] for c in CONFIGS]:
                r = load[(c, t["name"])]
                added = r["cpu_us"] - base["cpu_us"] if c != "nginx" else None
                flag = "" if r["ok"] else " ⚠"
                L.append(f"| {t['label']} | {CONFIG_LABEL[c]}{flag} | {fmt(r['rps'])} | {fmt(100 * r['rps'] / base['rps'], 1)}% | "
                         f"{fmt(r['p99_ms'], 2)} | {fmt(r['cpu_us'], 1)} | {fmt(added, 1)} | {fmt(r['rss_mb'], 1)} |")
        L.append("")
        L.append("Traffic: " + "; ".join(f"{t['label']}" + (f" ({t['note']})" if t.get("note") else "") for t in traffic) + ". "
                 "The SQLi GET is answered 403 by both engines (checked before the runs, and every answer "
                 "of every run is checked: ⚠ marks a run with unexpected answers or socket errors).\n")
        L.append("![throughput and CPU per request](results.svg)\n")

    L.append("## Targets (issue 7, item 2 and 3)\n")
    L.append("```")
    targets = []
    if load:
        def keep(c, tn):
            return load[(c, tn)]["rps"] / load[("nginx", tn)]["rps"]
        for c, tn, goal, what in (("secrules-pl1", "get-clean", 0.80, "clean GET, PL1"),
                                  ("secrules-pl4", "get-clean", 0.50, "clean GET, PL4"),
                                  ("secrules-pl1", "post-json", 0.30, "20 KB JSON POST, PL1")):
            k = keep(c, tn)
            targets.append(f"{verdict(k >= goal)}  {what}: secrules keeps {100 * k:.1f}% of nginx-alone throughput (goal >= {100 * goal:.0f}%)")
        for lvl in (1, 4):
            for t in traffic:
                base = load[("nginx", t["name"])]["cpu_us"]
                sa = load[(f"secrules-pl{lvl}", t["name"])]["cpu_us"] - base
                ma = load[(f"modsec-pl{lvl}", t["name"])]["cpu_us"] - base
                ratio = (ma / sa) if sa > 0 else float("inf")
                ok = sa <= ma / 20
                targets.append(f"{verdict(ok)}  PL{lvl} {t['label']}: secrules adds {sa:.1f} µs/request, ModSecurity {ma:.1f} "
                               f"(ModSecurity/secrules = {ratio:.1f}x; goal: secrules <= 1/20)")
    big = mem_cases[-1][0] if mem_cases else None
    if memory and big:
        s, m, n = memory.get((big, "secrules-pl1")), memory.get((big, "modsec-pl1")), memory.get((big, "nginx"))
        if s and m and "t_secs" in s and "t_secs" in m:
            targets.append(f"{verdict(s['t_secs'] <= m['t_secs'] / 3)}  {big}: nginx -t {s['t_secs']:.2f} s with secrules, "
                           f"{m['t_secs']:.2f} s with ModSecurity (goal: <= 1/3)")
        elif s and m:
            def desc(r):
                return f"{r['t_secs']:.2f} s" if "t_secs" in r else r["error"]
            targets.append(f"{'FAIL' if 'error' in s else 'PASS'}  {big}: nginx -t with secrules: {desc(s)}; "
                           f"with ModSecurity: {desc(m)} (goal: secrules <= 1/3 of ModSecurity)")
        if s and n and "worker_rss_mb" in n:
            if "worker_rss_mb" in s:
                d = s["worker_rss_mb"] - n["worker_rss_mb"]
                targets.append(f"{verdict(d <= 64)}  {big}: secrules worker RSS {s['worker_rss_mb']:.1f} MB = nginx alone + {d:.1f} MB (goal: <= +64 MB)")
            else:
                targets.append(f"FAIL  {big}: secrules worker RSS not measured, the configuration did not load (goal: nginx alone + 64 MB)")
    L += targets
    L.append("```\n")

    if memory:
        L.append("## Memory and load time (item 3)\n")
        L.append(f"A generated configuration: N server blocks on one port, each enabling CRS v4 PL1 "
                 f"(`secrules_file` / `modsecurity_rules_file` on the same entry file), each with {args.locations} "
                 f"locations that add one override (`secrule` / `modsecurity_rules`, {len(OVERRIDES)} distinct texts "
                 f"used in turn: `SecRuleRemoveById`, `SecRuleEngine DetectionOnly`, one added `SecRule`). "
                 f"nginx alone has the same servers and locations without WAF directives. `nginx -t` wall time "
                 f"(median of up to {args.rounds} runs), then VmRSS of the worker and the master after start "
                 f"(the worker shares most pages with the master; PSS splits shared pages between them).\n")
        L.append(f"Limits: `nginx -t` may take {args.load_timeout} s; every nginx process runs with "
                 f"{args.mem_limit_gb} GB of address space (`RLIMIT_AS`), so a configuration that needs more fails.\n")
        L.append("| configuration | engine | `nginx -t` s | worker RSS MB | master RSS MB | worker PSS MB |")
        L.append("|---|---|---:|---:|---:|---:|")
        for case, _, _ in mem_cases:
            for name in ("nginx", "secrules-pl1", "modsec-pl1"):
                r = memory.get((case, name))
                if not r:
                    continue
                if "error" in r:
                    L.append(f"| {case} | {CONFIG_LABEL[name]} | {r['error']} | - | - | - |")
                else:
                    L.append(f"| {case} | {CONFIG_LABEL[name]} | {r['t_secs']:.2f} | {r['worker_rss_mb']:.1f} | "
                             f"{r['master_rss_mb']:.1f} | {r['worker_pss_mb']:.1f} |")
        L.append("")

    if hostile:
        L.append("## Hostile input (item 5)\n")
        L.append("One urlencoded POST with a single argument `comment` of the given size (before "
                 "urlencoding), on a fresh connection, time until the whole answer arrived (median of "
                 f"{args.rounds} requests; the status is the answer). Each engine at PL1 and PL4.\n")
        L.append("| input | size | " + " | ".join(CONFIG_LABEL[c[0]] for c in CONFIGS) + " |")
        L.append("|---|---:|" + "---:|" * len(CONFIGS))
        for hname, hlabel, _ in HOSTILE:
            for size in args.hostile_sizes:
                cells = []
                for c in [c[0] for c in CONFIGS]:
                    r = hostile.get((hname, size, c))
                    if not r:
                        cells.append("-")
                    elif "skipped" in r:
                        cells.append(f"not sent ({r['skipped']})")
                    elif r["timed_out"]:
                        cells.append(f"> {args.hostile_timeout} s (no answer, worker killed)")
                    else:
                        cells.append(f"{r['secs'] * 1000:,.1f} ms ({r['statuses'][0]})")
                L.append(f"| {hlabel} | {size // 1024} KB | " + " | ".join(cells) + " |")
        L.append("")
        # linearity: secrules' time at the largest size vs. the second smallest (the smallest
        # is left out: at 16 KB the noise of a shared machine is as large as the time itself)
        lines = []
        sizes = args.hostile_sizes
        small, large = (sizes[1] if len(sizes) >= 3 else sizes[0]), sizes[-1]
        if len(sizes) >= 2:
            for hname, hlabel, _ in HOSTILE:
                for c in ("secrules-pl1", "secrules-pl4"):
                    a = hostile.get((hname, small, c))
                    b = hostile.get((hname, large, c))
                    if not (a and b) or "secs" not in a or "secs" not in b or b.get("timed_out"):
                        continue
                    growth = b["secs"] / max(a["secs"], 1e-4)
                    size_growth = large / small
                    ok = growth <= 2 * size_growth
                    lines.append(f"{verdict(ok)}  {CONFIG_LABEL[c]}, {hlabel}: {small // 1024} KB -> {large // 1024} KB "
                                 f"({size_growth:.0f}x the bytes) takes {growth:.1f}x the time (goal: linear, <= {2 * size_growth:.0f}x)")
        if lines:
            L.append("```")
            L += lines
            L.append("```\n")
    return "\n".join(L) + "\n", targets


# --------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 round, short runs, smaller memory case (development)")
    ap.add_argument("--module", default=os.environ.get("SECRULES_MODULE"), help="ngx_http_secrules_module.so")
    ap.add_argument("--modsec-module", default="/usr/lib/nginx/modules/ngx_http_modsecurity_module.so")
    ap.add_argument("--nginx", default=os.environ.get("NGINX_BINARY", "/usr/sbin/nginx"))
    ap.add_argument("--crs", default=os.environ.get("CRS_DIR", os.path.join(os.path.dirname(REPO), "shared", "crs", "v4.28.0")))
    ap.add_argument("--unicode-map", default=None, help="unicode.mapping for SecUnicodeMapFile (default: CRS test-config's, if present)")
    ap.add_argument("--out", default=BENCH)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--parts", default="load,memory,hostile")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--duration", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--min-requests", type=int, default=None, help="a slow cell runs until about this many requests")
    ap.add_argument("--max-cell", type=int, default=None, help="longest run of one cell, seconds")
    ap.add_argument("--servers", type=int, default=None)
    ap.add_argument("--locations", type=int, default=10, help="locations per server in the memory case")
    ap.add_argument("--mem-limit-gb", type=int, default=8, help="address-space limit of the nginx processes")
    ap.add_argument("--load-timeout", type=int, default=None, help="seconds one `nginx -t` of the memory part may take")
    ap.add_argument("--log-level", default="warn", help="nginx error_log level (info shows every rule match)")
    ap.add_argument("--hostile-timeout", type=int, default=60, help="seconds to wait for one hostile request")
    ap.add_argument("--hostile-budget", type=float, default=5.0,
                    help="a configuration slower than this (seconds) on one size is not sent the larger ones")
    ap.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""), help="a sentence for the report (e.g. shared machine)")
    args = ap.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (3 if args.quick else 8)
    args.warmup = args.warmup if args.warmup is not None else 1
    args.min_requests = args.min_requests or (4 if args.quick else 12)
    args.max_cell = args.max_cell or (10 if args.quick else 30)
    args.servers = args.servers or 100
    args.load_timeout = args.load_timeout or (60 if args.quick else 150)
    args.hostile_sizes = ([16 * 1024, 64 * 1024, 1024 * 1024] if args.quick
                          else [16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024])
    parts = set(args.parts.split(","))
    started = time.time()

    if not args.module or not os.path.exists(args.module):
        die("no secrules module: pass --module or SECRULES_MODULE (benches/run.sh builds it)")
    args.module = os.path.abspath(args.module)
    if not os.path.exists(args.modsec_module):
        die(f"no ModSecurity-nginx module at {args.modsec_module} (apt-get install libnginx-mod-http-modsecurity)")
    if not os.path.exists(os.path.join(args.crs, "rules", "REQUEST-901-INITIALIZATION.conf")):
        die(f"no CRS v4 at {args.crs} (set CRS_DIR)")
    args.crs = os.path.abspath(args.crs)
    if args.unicode_map is None:
        cand = os.path.join(os.path.dirname(args.crs), "test-config", "unicode.mapping")
        args.unicode_map = cand if os.path.exists(cand) else ""
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            die(f"{tool} is missing")

    workdir = args.workdir or f"/tmp/secrules-bench-{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    info = machine_info(args)
    log(f"work directory {workdir}; machine: {info['ncpu']} CPUs, load average {' '.join(info['loadavg'])}")

    worker_cpu, other_cpus, _ = cpu_plan()
    top = max(os.sched_getaffinity(0))
    if worker_cpu is None:
        args.placement = "one CPU only: no pinning"
        front_mask = backend_mask = None
        wrk_cpus = None
    else:
        front_mask = mask_for(worker_cpu, top)
        backend_mask = mask_for(other_cpus[0], top)
        wrk_cpus = other_cpus
        args.placement = (f"the measured nginx worker on CPU {worker_cpu} (`worker_cpu_affinity`), the backend "
                          f"nginx worker on CPU {other_cpus[0]}, wrk on CPU(s) {','.join(map(str, other_cpus))} (`taskset`)")

    rules_files = {lvl: crs_entry_file(args, workdir, lvl) for lvl in (1, 4)}

    # the backend: a second nginx answering 200 "ok" to everything, same for all configurations
    backend_port = free_port()
    backend = Nginx(args, "backend", os.path.join(workdir, "backend"), main_conf(
        args, "", f"""    server {{
        listen 127.0.0.1:{backend_port};
        location / {{ return 200 "ok\\n"; }}
    }}""", backend_mask), backend_port).start()

    traffic = make_traffic()
    for t in traffic:
        t["reqfile"] = os.path.join(workdir, f"request-{t['name']}.txt")
        write_request_file(t["reqfile"], t)

    instances = {}
    load = memory = hostile = {}
    mem_cases = []
    try:
        if parts & {"load", "hostile"}:
            for name, label, engine, level in CONFIGS:
                port, status_port = free_port(), free_port()
                http = upstream_block(backend_port) + f"""
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        {waf_directives(engine, rules_files.get(level))}
        location / {{ {PROXY} }}
    }}
    server {{
        listen 127.0.0.1:{status_port};
        location / {{ stub_status; }}
    }}"""
                inst = Nginx(args, name, os.path.join(workdir, name), main_conf(args, module_line(args, engine), http, front_mask), port)
                inst.status_port = status_port
                t0 = time.perf_counter()
                inst.start()
                log(f"started {label} on port {port} in {time.perf_counter() - t0:.1f} s (worker pid {inst.worker})")
                instances[name] = inst
            precheck(instances, traffic)
            if "load" in parts:
                load = bench_load(args, workdir, instances, traffic, wrk_cpus)
            if "hostile" in parts:
                hostile = bench_hostile(args, instances)
        for inst in instances.values():
            inst.stop()
        if "memory" in parts:
            memory, mem_cases = bench_memory(args, workdir, rules_files, backend_port)
    finally:
        for inst in instances.values():
            inst.stop()
        backend.stop()

    text, targets = report(args, info, traffic, load, memory, mem_cases, hostile, started)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    if load:
        write_svg(os.path.join(args.out, "results.svg"), traffic, load)
    raw = dict(
        info=info, args={k: v for k, v in vars(args).items()},
        load={f"{c}|{t}": {k: v for k, v in r.items()} for (c, t), r in load.items()},
        memory={f"{c}|{n}": r for (c, n), r in memory.items()},
        hostile={f"{h}|{s}|{c}": r for (h, s, c), r in hostile.items()},
    )
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(raw, f, indent=1, default=str)
    print()
    print(text)
    log(f"done in {(time.time() - started) / 60:.1f} minutes; wrote {args.out}/results.md, results.svg, results.json")


if __name__ == "__main__":
    main()
