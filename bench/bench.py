# Over 500 lines: one script drives every measure of the benchmark (pages, API, ingest, delivery), each a function, sharing its load generator and report.
"""eventurl benchmark: see bench/run. Everything runs on this machine; the
static file served by the same server in the same run is the ceiling the
page is compared with, because the machine is shared and noisy."""

import http.server
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

SMOKE = "--smoke" in sys.argv
LIGHTHOUSE = "--lighthouse" in sys.argv
DURATION = "2s" if SMOKE else "10s"
PASSWORD = "correct horse battery staple"
BIN = "target/release/eventurl"
RECEIVER = "target/release/bench_receiver"
SITE = "target/site"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wrk(url, connections, headers=(), script=None, duration=DURATION, threads=None):
    threads = threads or min(connections, 2)
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", duration, "--latency"]
    for h in headers:
        args += ["-H", h]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    read = re.search(r"([\d.]+)(B|KB|MB|GB) read", out)
    scale = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"), "requests": total,
            "errors": int(non2xx.group(1)) if non2xx else 0,
            "bytes_per_response": round(float(read.group(1)) * scale[read.group(2)] / max(total, 1))}


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def main():
    data = tempfile.mkdtemp(prefix="eventurl-bench-")
    # The API's per-token limit is set out of reach: the bench measures
    # the API's path (the limit's check included), not its refusals.
    env = dict(os.environ, EVENTURL_DATA_DIR=data, LEPTOS_SITE_ROOT=SITE, RUST_LOG="warn",
               EVENTURL_ALLOW_PRIVATE_TARGETS="127.0.0.0/8", EVENTURL_TEST_EVENTS_PER_MINUTE="10000",
               EVENTURL_API_REQUESTS_PER_MINUTE="1000000")
    env.pop("DATABASE_URL", None)
    env.pop("EVENTURL_SECRET_KEY", None)
    for n in range(1, 19):
        subprocess.run([BIN, "tenant", "create", "--name", f"Bench {n}"], env=env, check=True, capture_output=True)
        subprocess.run([BIN, "admin", "create", "--tenant", f"Bench {n}", "--username", f"bench{n}"],
                       env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    server = subprocess.Popen([BIN, "serve", "--site-addr", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {}
    try:
        wait_ready(base)
        results["start_to_ready_ms"] = round((time.monotonic() - started) * 1000, 1)
        time.sleep(1.5)
        results["rss_idle_mb"] = round(rss_mb(server.pid), 1)

        def sign_in(user):
            body = urllib.parse.urlencode({"username": user, "password": PASSWORD}).encode()
            req = urllib.request.Request(base + "/login", data=body, headers={"Origin": base})
            opener = urllib.request.build_opener(NoRedirect)
            t = time.monotonic()
            with opener.open(req) as r:
                cookie = r.headers["set-cookie"].split(";")[0]
            return cookie, (time.monotonic() - t) * 1000

        cookie, _ = sign_in("bench1")
        page = fetch(base + "/company/event-url", {"Cookie": cookie})
        # The ceiling: the same bytes as a file, served by the same server
        # under /pkg (public: no session work, no rendering).
        static_path = os.path.join(SITE, "pkg", "bench-static.html")
        with open(static_path, "wb") as f:
            f.write(page)
        try:
            served = fetch(base + "/pkg/bench-static.html", {})
            assert served == page, "the static file is not served as written"
            for c in (1, 64):
                p = wrk(base + "/company/event-url", c, [f"Cookie: {cookie}"])
                s = wrk(base + "/pkg/bench-static.html", c)
                # wrk counts a redirect (an expired session) as a success:
                # both must really have sent the page's bytes.
                for name, run in (("page", p), ("static file", s)):
                    assert run["bytes_per_response"] >= len(page), f"{name}: short responses {run}"
                results[f"page_c{c}"] = p
                results[f"static_c{c}"] = s
                results[f"page_vs_static_c{c}"] = round(p["rps"] / s["rps"], 3)
            # The same page from PostgreSQL: a second server on a fresh
            # database of the local PostgreSQL server.
            results["postgres"] = postgres_pages(env, data)
        finally:
            os.remove(static_path)
        results["rss_after_pages_mb"] = round(rss_mb(server.pid), 1)

        # The REST API's read of both sections with a token, as a script
        # (a secret manager, a CI job) makes it.
        token = subprocess.run([BIN, "api-token", "create", "--tenant", "Bench 1", "--name", "bench",
                                "--scope", "read", "--expires", "none"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
        bearer = [f"Authorization: Bearer {token}"]
        api_body = fetch(base + "/api/v1/event-url", {"Authorization": f"Bearer {token}"})
        assert b'"cdr"' in api_body, api_body
        for c in (1, 64):
            run = wrk(base + "/api/v1/event-url", c, bearer)
            assert run["bytes_per_response"] >= len(api_body), f"API: short responses {run}"
            results[f"api_c{c}"] = run

        # Saves, as the browser's server-function call: 16 administrators
        # of 16 tenants, each saving its own CDR section (two saves of one
        # section at once are refused 409 by design: they are counted apart).
        savers = [sign_in(f"bench{n}")[0] for n in range(2, 18)]
        # One wrk thread per admin (its own connection and Lua state), each
        # saving with the version its previous save answered, as the page does.
        save_body = urllib.parse.urlencode({"form[kind]": "cdr", "form[auth_method]": "disable",
                                            "form[url]": "https://receiver.example/bench"})
        script = os.path.join(data, "save.lua")
        with open(script, "w") as f:
            f.write("cookies = {" + ", ".join(json.dumps(c) for c in savers) + "}\n")
            f.write(f"body = {json.dumps(save_body)}\n")
            f.write("threads = 0\n")
            f.write("function setup(thread) threads = threads + 1; thread:set('me', threads) end\n")
            f.write("version = 1\n")
            f.write("function request()\n"
                    "  return wrk.format('POST', '/rpc/save_endpoint', {['Content-Type'] = "
                    "'application/x-www-form-urlencoded', ['Origin'] = '" + base + "', ['Cookie'] = cookies[me]},"
                    " body .. '&form%5Bversion%5D=' .. version)\n"
                    "end\n"
                    "function response(status, headers, body)\n"
                    "  local v = body:match('\"version\":(%d+)')\n"
                    "  if v then version = tonumber(v) end\n"
                    "end\n")
        results["save_c16"] = wrk(base + "/rpc/save_endpoint", 16, script=script, threads=16)
        results["rss_after_saves_mb"] = round(rss_mb(server.pid), 1)

        # Sign-in: one at a time, then 16 at once while the page is loaded.
        times = sorted(sign_in("bench1")[1] for _ in range(3 if SMOKE else 10))
        results["sign_in_p50_ms"] = round(times[len(times) // 2], 1)
        storm_done = threading.Event()

        def storm():
            while not storm_done.is_set():
                threads = [threading.Thread(target=sign_in, args=(f"bench{n}",)) for n in range(2, 18)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()

        storm_thread = threading.Thread(target=storm)
        storm_thread.start()
        try:
            results["page_during_storm_c8"] = wrk(base + "/company/event-url", 8, [f"Cookie: {cookie}"])
        finally:
            storm_done.set()
            storm_thread.join()

        results["rss_after_mb"] = round(rss_mb(server.pid), 1)

        # First visit: the page and what it loads (names as the page links
        # them: hashed), raw, as served to a gzip-only client, and as served
        # to a browser (brotli). Plus the cache lifetime of the bundle.
        html = fetch(base + "/company/event-url", {"Cookie": cookie}).decode()
        css = re.search(r'href="(/pkg/[^"]+\.css)"', html).group(1)
        js = re.search(r'href="(/pkg/[^"]+\.js)"', html).group(1)
        wasm = re.search(r'href="(/pkg/[^"]+\.wasm)"', html).group(1)
        first = {}
        for name, path in [("html", "/company/event-url"), ("js", js), ("wasm", wasm), ("css", css)]:
            raw = fetch(base + path, {"Cookie": cookie})
            gz = fetch(base + path, {"Cookie": cookie, "Accept-Encoding": "gzip"})
            br = fetch(base + path, {"Cookie": cookie, "Accept-Encoding": "br, gzip"})
            first[name] = {"raw_kb": round(len(raw) / 1024, 1), "served_gzip_kb": round(len(gz) / 1024, 1),
                           "served_br_kb": round(len(br) / 1024, 1)}
        first["total_served_gzip_kb"] = round(sum(v["served_gzip_kb"] for v in first.values()), 1)
        first["total_served_br_kb"] = round(
            sum(v["served_br_kb"] for k, v in first.items() if isinstance(v, dict)), 1)
        first["bundle_cache_control"] = response_headers(base + wasm).get("cache-control")
        first["wasm_encoding_for_browsers"] = response_headers(base + wasm, {"Accept-Encoding": "br, gzip"}).get(
            "content-encoding")
        results["first_visit"] = first
        login = fetch(base + "/login", {}).decode()
        results["login_loads_wasm"] = ".wasm" in login or 'type="module"' in login

        # A test event to a local receiver, against curl posting the same.
        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        ours, body = [], None
        for _ in range(5 if SMOKE else 20):
            form = urllib.parse.urlencode({"form[kind]": "cdr", "form[auth_method]": "disable",
                                           "form[url]": hook, "sample_event": "call_cdr"}).encode()
            req = urllib.request.Request(base + "/rpc/send_test_event", data=form,
                                         headers={"Origin": base, "Cookie": cookie})
            with urllib.request.urlopen(req) as r:
                report = json.load(r)
            ours.append(report["duration_us"] / 1000)
            body = report["request"]["body"]
        curls = []
        for _ in range(len(ours)):
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", "-X", "POST",
                                  "-H", "Content-Type: application/json; charset=utf-8",
                                  "--data-binary", json.dumps(json.loads(body)), hook],
                                 capture_output=True, text=True, check=True).stdout
            curls.append(float(out) * 1000)
        receiver.shutdown()
        ours.sort()
        curls.sort()
        results["test_event_ms_p50"] = round(ours[len(ours) // 2], 2)
        results["curl_ms_p50"] = round(curls[len(curls) // 2], 2)
        results["test_event_vs_curl"] = round(ours[len(ours) // 2] / max(curls[len(curls) // 2], 0.001), 2)

        results["deliveries"] = deliveries(env, base, data, server.pid, sqlite_sql(os.path.join(data, "eventurl.db")),
                                           results["rss_idle_mb"], 0 if SMOKE else 1_000_000)
        # Bench 1 is the tenant that took the ingest load: its log now
        # holds every event handed in above.
        results["deliveries_tab"] = deliveries_tab(base, sign_in("bench1")[0],
                                                   sqlite_sql(os.path.join(data, "eventurl.db")), "bench1")

        if LIGHTHOUSE:
            results["lighthouse"] = lighthouse(base, cookie, data)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)

    with open("bench/results.json", "w") as f:
        json.dump(results, f, indent=2)
    print_table(results)


PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def start_receiver(delay_ms=0):
    receiver = subprocess.Popen([RECEIVER, "0", str(delay_ms)], stdout=subprocess.PIPE, text=True)
    return receiver, f"http://127.0.0.1:{int(receiver.stdout.readline())}"


def set_aside_backlog(sql, hook):
    """What is left of the backlog is set aside, and the receiver at
    `hook` is waited for until its count stops moving: the queue is quiet."""
    sql("UPDATE events SET state = 'discarded' WHERE state = 'pending'")
    last = -1
    while last != (last := int(get_text(hook + "/count"))):
        time.sleep(0.5)


def get_text(url):
    with urllib.request.urlopen(url) as r:
        return r.read().decode()


def ingest_script(data, name, path, key, size, stamp=False):
    """A wrk Lua script handing in `size` CDR events a request, each with
    an id of its own."""
    script = os.path.join(data, f"{name}.lua")
    body_expr = "table.concat(parts)" if size == 1 else "'[' .. table.concat(parts, ',') .. ']'"
    with open(script, "w") as f:
        f.write("n = 0\ncounter = 0\n")
        f.write("function setup(thread) n = n + 1; thread:set('me', n) end\n")
        f.write("function request()\n  local parts = {}\n"
                f"  for i = 1, {size} do\n    counter = counter + 1\n"
                "    parts[i] = string.format('{\"event_type\":\"call_cdr\",\"event_id\":\"%s-%d-%d\",'"
                " .. '\"call_id\":\"bench\",\"caller\":\"sip:101@bench.test\",\"talk_duration\":\"21\"}', "
                f"'{name}', me, counter)\n  end\n"
                f"  local body = {body_expr}\n"
                f"  return wrk.format('POST', '{path}', {{['Content-Type'] = 'application/json', "
                f"['Authorization'] = 'Bearer {key}'}}, body)\n"
                "end\n")
    return script


def paced_ingest(base, path, key, rate, seconds, threads=8):
    """Hands in `rate` events a second for `seconds`, one a request, each
    stamped with the time its request starts (the receiver measures the
    age on arrival); returns how many were refused."""
    refused = [0]
    per_thread = rate / threads
    host = urllib.parse.urlparse(base)

    def worker(me):
        import http.client
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        start = time.monotonic()
        n = 0
        while n < per_thread * seconds:
            due = start + n / per_thread
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            body = json.dumps({"event_type": "call_cdr", "event_id": f"paced-{me}-{n}-{time.time_ns()}",
                               "call_id": "bench", "sent_at_us": time.time_ns() // 1000})
            conn.request("POST", path, body, {"Content-Type": "application/json",
                                              "Authorization": f"Bearer {key}"})
            r = conn.getresponse()
            r.read()
            if r.status != 202:
                refused[0] += 1
            n += 1
        conn.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return refused[0]


def deliveries(env, base, data, pid, sql, rss_idle, held_target):
    """The PBX's side, on the server at `base` (its database reached by
    `sql` for the bench's own set-up): ingest (one event a request at 64
    connections, and batches of 100) into a paused CDR section (held, so
    only ingest is measured), up to `held_target` held events and the
    memory with them; then the section enabled and the backlog delivered
    to a local receiver that answers 200 at once, against wrk loading that
    receiver directly; the age of events on arrival at a steady 500 a
    second; and 16 tenants whose receiver answers after 300 ms."""
    out = {}
    fast, hook = start_receiver(0)
    slow, slow_hook = start_receiver(300)
    try:
        key = subprocess.run([BIN, "ingest-key", "create", "--name", "bench", "--all-tenants"], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        listed = subprocess.run([BIN, "tenant", "list"], env=env, check=True, capture_output=True, text=True).stdout
        tenants = [int(line.split("\t")[0]) for line in listed.splitlines() if line.split("\t")[0].isdigit()]
        assert len(tenants) >= 18, f"the bench needs 18 tenants: {listed}"
        first, paced, slow_tenants, stuck = tenants[0], tenants[1], tenants[1:17], tenants[17]
        sql(f"UPDATE endpoints SET url = '{hook}/cdr', auth_method = 'disable', enabled = false "
            f"WHERE tenant_id = {first} AND kind = 'cdr'")
        path = f"/ingest/v1/tenants/{first}/events"
        for name, size, conns in (("ingest_single_c64", 1, 64), ("ingest_batch100_c16", 100, 16)):
            run = wrk(base + path, conns, script=ingest_script(data, name, path, key, size))
            assert run["errors"] == 0, f"{name}: refused requests {run}"
            run["events_per_s"] = round(run["rps"] * size)
            out[name] = run
        held = int(sql("SELECT COUNT(*) FROM events WHERE state = 'held'"))
        round_no = 0
        while held < held_target:
            round_no += 1
            name = f"fill{round_no}"
            run = wrk(base + path, 16, script=ingest_script(data, name, path, key, 100), duration="10s")
            assert run["errors"] == 0, f"{name}: refused requests {run}"
            held = int(sql("SELECT COUNT(*) FROM events WHERE state = 'held'"))
        out["held"] = held
        out["rss_idle_mb"] = rss_idle
        out["rss_with_held_mb"] = round(rss_mb(pid), 1)
        # The same server started afresh on this database: what the held
        # events themselves cost in memory (the running one also keeps what
        # the load before left in its allocator).
        port = free_port()
        fresh = subprocess.Popen([BIN, "serve", "--site-addr", f"127.0.0.1:{port}"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            time.sleep(1.5)
            out["rss_fresh_with_held_mb"] = round(rss_mb(fresh.pid), 1)
        finally:
            fresh.terminate()
            fresh.wait()

        # End to end: enabled, the held backlog drains to the receiver.
        window = 3 if SMOKE else 60
        before = int(get_text(hook + "/count"))
        sql(f"UPDATE endpoints SET enabled = true WHERE tenant_id = {first} AND kind = 'cdr'")
        sql("UPDATE events SET state = 'pending' WHERE state = 'held'")
        started = time.monotonic()
        while time.monotonic() - started < window and int(get_text(hook + "/count")) - before < held:
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        delivered = int(get_text(hook + "/count")) - before
        out["delivered"] = delivered
        out["drain_seconds"] = round(elapsed, 1)
        out["deliveries_per_s"] = round(delivered / elapsed)
        set_aside_backlog(sql, hook)
        body_script = os.path.join(data, "direct.lua")
        with open(body_script, "w") as f:
            f.write("wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n"
                    "wrk.body = '{\"event_type\":\"call_cdr\",\"event_id\":\"x\",\"call_id\":\"bench\"}'\n")
        out["receiver_direct_c64"] = wrk(hook + "/direct", 64, script=body_script)
        out["deliveries_vs_direct"] = round(out["deliveries_per_s"] / out["receiver_direct_c64"]["rps"], 3)
        direct = out["receiver_direct_c64"]["rps"]
        out["ingest_vs_direct"] = round(out["ingest_single_c64"]["rps"] / direct, 3)

        # End to end as a PBX loads it: one event a request at 64
        # connections while the same server delivers them, both at once;
        # what reached the receiver in that window, and what was still
        # waiting at its end.
        window = 3 if SMOKE else 60
        before = int(get_text(hook + "/count"))
        started = time.monotonic()
        run = wrk(base + path, 64, script=ingest_script(data, "e2e", path, key, 1), duration=f"{window}s")
        elapsed = time.monotonic() - started
        assert run["errors"] == 0, f"end to end: refused requests {run}"
        delivered = int(get_text(hook + "/count")) - before
        out["e2e_c64"] = {
            "seconds": round(elapsed, 1),
            "ingested_per_s": round(run["rps"]),
            "ingest_p99_ms": run["p99_ms"],
            "delivered_per_s": round(delivered / elapsed),
            "delivered_vs_direct": round(delivered / elapsed / direct, 3),
            "waiting_at_end": int(sql(f"SELECT COUNT(*) FROM events WHERE tenant_id = {first} AND state = 'pending'")),
        }
        set_aside_backlog(sql, hook)

        # From hand-in to arrival at a steady 500 events a second.
        sql(f"UPDATE endpoints SET url = '{hook}/cdr', auth_method = 'disable', enabled = true "
            f"WHERE tenant_id = {paced} AND kind = 'cdr'")
        get_text(hook + "/latency")
        refused = paced_ingest(base, f"/ingest/v1/tenants/{paced}/events", key, 500, 3 if SMOKE else 20)
        time.sleep(1)
        out["paced_500"] = json.loads(get_text(hook + "/latency"))
        out["paced_500"]["refused"] = refused

        # A receiver answering after 300 ms, for 16 tenants.
        for t in slow_tenants:
            sql(f"UPDATE endpoints SET url = '{slow_hook}/cdr', auth_method = 'disable', enabled = true "
                f"WHERE tenant_id = {t} AND kind = 'cdr'")
        per_tenant = 100 if SMOKE else 600
        for t in slow_tenants:
            for start in range(0, per_tenant, 100):
                events = [{"event_type": "call_cdr", "event_id": f"slow-{t}-{start + i}", "call_id": "bench"}
                          for i in range(100)]
                req = urllib.request.Request(base + f"/ingest/v1/tenants/{t}/events", data=json.dumps(events).encode(),
                                             headers={"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {key}"})
                with urllib.request.urlopen(req) as r:
                    assert r.status == 202
        time.sleep(1)
        window = 3 if SMOKE else 15
        before = int(get_text(slow_hook + "/count"))
        time.sleep(window)
        out["slow_receiver_16_tenants_per_s"] = round((int(get_text(slow_hook + "/count")) - before) / window)
        sql("UPDATE events SET state = 'discarded' WHERE state = 'pending'")

        # Fairness: one tenant's receiver never answers (an hour's delay)
        # with 100,000 of its events due, while another tenant's events
        # arrive at 200 a second: their age on arrival.
        hang, hang_hook = start_receiver(3_600_000)
        try:
            sql(f"UPDATE endpoints SET url = '{hang_hook}/cdr', auth_method = 'disable', enabled = true "
                f"WHERE tenant_id = {stuck} AND kind = 'cdr'")
            # The paced tenant is one of the sixteen above: back to the
            # receiver that answers at once and measures the age.
            sql(f"UPDATE endpoints SET url = '{hook}/cdr', auth_method = 'disable', enabled = true "
                f"WHERE tenant_id = {paced} AND kind = 'cdr'")
            backlog_target = 2_000 if SMOKE else 100_000
            stuck_path = f"/ingest/v1/tenants/{stuck}/events"
            due = 0
            round_no = 0
            while due < backlog_target:
                round_no += 1
                run = wrk(base + stuck_path, 16, script=ingest_script(data, f"stuck{round_no}", stuck_path, key, 100),
                          duration="1s" if SMOKE else "3s")
                assert run["errors"] == 0, f"backlog: refused requests {run}"
                due = int(sql(f"SELECT COUNT(*) FROM events WHERE tenant_id = {stuck} AND state = 'pending'"))
            get_text(hook + "/latency")
            refused = paced_ingest(base, f"/ingest/v1/tenants/{paced}/events", key, 200, 3 if SMOKE else 20)
            time.sleep(1)
            out["fair_200"] = json.loads(get_text(hook + "/latency"))
            out["fair_200"]["refused"] = refused
            out["fair_200"]["sent"] = 200 * (3 if SMOKE else 20)
            assert out["fair_200"]["n"] > 0, f"fairness: none of the other tenant's events arrived {out['fair_200']}"
            out["fair_200"]["backlog_due"] = int(
                sql(f"SELECT COUNT(*) FROM events WHERE tenant_id = {stuck} AND state = 'pending'"))
            out["fair_200"]["hanging_received"] = int(get_text(hang_hook + "/arrived"))
            sql("UPDATE events SET state = 'discarded' WHERE state = 'pending'")
        finally:
            hang.terminate()
            hang.wait()
    finally:
        for receiver in (fast, slow):
            receiver.terminate()
            receiver.wait()
    return out


def deliveries_tab(base, cookie, sql, username, analyze=False):
    """Company → Deliveries for the tenant with the ingest load's events:
    the newest page, an older page (by its cursor), a state, an event type
    in a time range, and a search by extension number (which every bench
    event names), each loaded at 8 connections. `analyze`: PostgreSQL's
    tables are vacuumed and analysed first, as autovacuum does after bulk
    changes (the bench makes a million inserts and mass updates in seconds,
    faster than autovacuum's naps: planned on statistics from an empty
    table, a search took 850 ms; with the mass updates' dead row versions
    still in the indexes, a state's page visited each of them, p99 69 ms)."""
    if analyze:
        sql("VACUUM (ANALYZE) events")
        sql("VACUUM (ANALYZE) event_refs")
    out = {"events": int(sql("SELECT COUNT(*) FROM events WHERE tenant_id = "
                             f"(SELECT tenant_id FROM users WHERE username = '{username}')"))}
    first = fetch(base + "/company/deliveries", {"Cookie": cookie}).decode()
    older = re.search(r'href="(/company/deliveries\?[^"]*before=[^"]+)"', first)
    urls = {
        "newest": "/company/deliveries",
        "state": "/company/deliveries?section=cdr&state=delivered",
        "type_and_range": "/company/deliveries?type=call_cdr&from=2000-01-01T00%3A00",
        "search_extension": "/company/deliveries?q=101",
    }
    if older:
        urls["older_page"] = older.group(1).replace("&amp;", "&")
    for name, path in urls.items():
        page = fetch(base + path, {"Cookie": cookie})
        assert b"Showing 50 events." in page, f"{name}: not a full page of events"
        run = wrk(base + path, 8, [f"Cookie: {cookie}"])
        assert run["bytes_per_response"] >= len(page) * 0.9, f"{name}: short responses {run}"
        out[name] = run
    return out


def psql(sql, url=None):
    return subprocess.run(["psql", url or PG_ADMIN, "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql],
                          capture_output=True, text=True)


def sqlite_sql(path):
    """A statement on the SQLite file at `path`; its first value, if any."""
    def run(statement):
        db = sqlite3.connect(path, timeout=30)
        try:
            cur = db.execute(statement)
            row = cur.fetchone() if cur.description else None
            db.commit()
            return row[0] if row else None
        finally:
            db.close()
    return run


def postgres_sql(url):
    def run(statement):
        # The bench's own mass updates race the server's claims for the same
        # rows; PostgreSQL may pick the bench's statement as a deadlock's
        # victim: it is simply made again.
        for _ in range(10):
            done = psql(statement, url)
            if "deadlock detected" not in done.stderr:
                break
            time.sleep(0.2)
        assert done.returncode == 0, f"{statement}: {done.stderr}"
        return done.stdout.strip().splitlines()[0] if done.stdout.strip() else None
    return run


def postgres_pages(env, _data):
    """The signed-in page served from PostgreSQL (BENCH_POSTGRES_URL, else
    the local server), with its static file of the same bytes; or why not."""
    if shutil.which("psql") is None or psql("select 1").returncode != 0:
        return {"error": f"not measured: no PostgreSQL answers at {PG_ADMIN} (set BENCH_POSTGRES_URL)"}
    name = f"eventurl_bench_{os.getpid()}"
    psql(f'drop database if exists "{name}"')
    created = psql(f'create database "{name}"')
    if created.returncode != 0:
        return {"error": f"not measured: cannot create a database: {created.stderr.strip()}"}
    url = urllib.parse.urlparse(PG_ADMIN)._replace(path="/" + name).geturl()
    pg_env = dict(env, DATABASE_URL=url, EVENTURL_DATA_DIR=tempfile.mkdtemp(prefix="eventurl-bench-pg-"))
    results = {}
    try:
        for n in range(1, 19):
            subprocess.run([BIN, "tenant", "create", "--name", f"Bench PG {n}"], env=pg_env, check=True,
                           capture_output=True)
        subprocess.run([BIN, "admin", "create", "--tenant", "Bench PG 1", "--username", "benchpg"],
                       env=pg_env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([BIN, "serve", "--site-addr", f"127.0.0.1:{port}"], env=pg_env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(base)
            time.sleep(0.5)
            rss_idle = round(rss_mb(server.pid), 1)
            body = urllib.parse.urlencode({"username": "benchpg", "password": PASSWORD}).encode()
            req = urllib.request.Request(base + "/login", data=body, headers={"Origin": base})
            with urllib.request.build_opener(NoRedirect).open(req) as r:
                cookie = r.headers["set-cookie"].split(";")[0]
            page = fetch(base + "/company/event-url", {"Cookie": cookie})
            static_path = os.path.join(SITE, "pkg", "bench-static-pg.html")
            with open(static_path, "wb") as f:
                f.write(page)
            try:
                for c in (1, 64):
                    p = wrk(base + "/company/event-url", c, [f"Cookie: {cookie}"])
                    assert p["bytes_per_response"] >= len(page), f"PostgreSQL page: short responses {p}"
                    results[f"page_c{c}"] = p
                    results[f"static_c{c}"] = wrk(base + "/pkg/bench-static-pg.html", c)
            finally:
                os.remove(static_path)
            results["deliveries"] = deliveries(pg_env, base, pg_env["EVENTURL_DATA_DIR"], server.pid,
                                               postgres_sql(url), rss_idle, 0 if SMOKE else 1_000_000)
            results["deliveries_tab"] = deliveries_tab(base, cookie, postgres_sql(url), "benchpg", analyze=True)
        finally:
            server.terminate()
            server.wait()
    finally:
        psql(f'drop database if exists "{name}" with (force)')
        shutil.rmtree(pg_env["EVENTURL_DATA_DIR"], ignore_errors=True)
    return results


def wait_ready(base):
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.005)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_303(self, req, fp, code, msg, headers):
        return fp


def fetch(url, headers):
    """The body as sent on the wire (urllib does not decompress)."""
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req) as r:
        return r.read()


def response_headers(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {}, method="GET")
    with urllib.request.urlopen(req) as r:
        r.read()
        return {k.lower(): v for k, v in r.headers.items()}


def lighthouse(base, cookie, data):
    scores = {}
    for name, path, headers in [("login", "/login", {}), ("event_url", "/company/event-url", {"Cookie": cookie})]:
        out = os.path.join(data, f"lh-{name}.json")
        cmd = ["npx", "--yes", "lighthouse@12.2.3", base + path, "--preset=desktop", "--output=json",
               f"--output-path={out}", "--quiet", "--only-categories=performance,accessibility,best-practices",
               "--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking"]
        if headers:
            cmd.append("--extra-headers=" + json.dumps(headers))
        subprocess.run(cmd, check=True, env=dict(os.environ, CHROME_PATH="/usr/bin/chromium"))
        with open(out) as f:
            report = json.load(f)
        if urllib.parse.urlparse(report["finalDisplayedUrl"]).path != path:
            raise SystemExit(f"Lighthouse measured {report['finalDisplayedUrl']}, not {path}")
        scores[name] = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
        scores[name].update({k: report["audits"][k]["numericValue"] for k in
                             ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")})
    return scores


def print_table(r):
    def row(label, value):
        print(f"  {label:<46} {value}")

    print("\neventurl benchmark" + (" (smoke)" if SMOKE else ""))
    for c in (1, 64):
        p, s = r[f"page_c{c}"], r[f"static_c{c}"]
        row(f"page, {c} conn: req/s, p50, p99", f"{p['rps']:.0f}/s, {p['p50_ms']:.2f} ms, {p['p99_ms']:.2f} ms")
        row(f"static file, {c} conn: req/s, p50, p99", f"{s['rps']:.0f}/s, {s['p50_ms']:.2f} ms, {s['p99_ms']:.2f} ms")
        row(f"page / static throughput, {c} conn", f"{r[f'page_vs_static_c{c}'] * 100:.0f}%")
    pg = r["postgres"]
    if "error" in pg:
        row("page on PostgreSQL", pg["error"])
    else:
        for c in (1, 64):
            p, s = pg[f"page_c{c}"], pg[f"static_c{c}"]
            row(f"PostgreSQL page, {c} conn", f"{p['rps']:.0f}/s, {p['p50_ms']:.2f} ms, {p['p99_ms']:.2f} ms "
                f"({p['rps'] / s['rps'] * 100:.0f}% of its static file)")
    for c in (1, 64):
        a = r[f"api_c{c}"]
        row(f"GET /api/v1/event-url (token), {c} conn", f"{a['rps']:.0f}/s, {a['p50_ms']:.2f} ms, {a['p99_ms']:.2f} ms")
    sv = r["save_c16"]
    row("save, 16 admins: req/s, p99, refused", f"{sv['rps']:.0f}/s, {sv['p99_ms']:.2f} ms, "
        f"{100 * sv['errors'] / max(sv['requests'], 1):.1f}%")
    row("sign-in p50", f"{r['sign_in_p50_ms']} ms")
    st = r["page_during_storm_c8"]
    row("page p99 during 16 parallel sign-ins", f"{st['p99_ms']:.2f} ms")
    fv = r["first_visit"]
    parts = ("html", "js", "wasm", "css")
    row("first visit, served gzip: html+js+wasm+css", f"{fv['total_served_gzip_kb']} KB "
        f"({' + '.join(str(fv[k]['served_gzip_kb']) for k in parts)})")
    row("first visit, served brotli (browsers)", f"{fv['total_served_br_kb']} KB "
        f"({' + '.join(str(fv[k]['served_br_kb']) for k in parts)})")
    row("first visit, raw", f"{sum(fv[k]['raw_kb'] for k in parts):.1f} KB")
    row("bundle Cache-Control", fv["bundle_cache_control"])
    row("login page loads wasm", "yes" if r["login_loads_wasm"] else "no")
    row("RSS idle / after load", f"{r['rss_idle_mb']} MB / {r['rss_after_mb']} MB")
    row("start to ready", f"{r['start_to_ready_ms']} ms")
    row("test event vs curl (p50)", f"{r['test_event_ms_p50']} ms vs {r['curl_ms_p50']} ms: x{r['test_event_vs_curl']}")
    for backend, d in (("SQLite", r["deliveries"]), ("PostgreSQL", r["postgres"].get("deliveries"))):
        if d is None:
            continue
        for name, label in (("ingest_single_c64", "ingest, 1 event a request, 64 conn"),
                            ("ingest_batch100_c16", "ingest, batches of 100, 16 conn")):
            i = d[name]
            row(f"{label} ({backend})", f"{i['events_per_s']} events/s, p50 {i['p50_ms']:.2f} ms, "
                f"p99 {i['p99_ms']:.2f} ms")
        row(f"RSS idle / with held events ({backend})",
            f"{d['rss_idle_mb']} MB / {d['rss_fresh_with_held_mb']} MB started afresh, "
            f"{d['rss_with_held_mb']} MB after the load ({d['held']} held)")
        row(f"receiver loaded directly, 64 conn ({backend})", f"{d['receiver_direct_c64']['rps']:.0f}/s "
            f"(ingest one a request: {d['ingest_vs_direct'] * 100:.0f}% of it)")
        e2e = d["e2e_c64"]
        row(f"end to end, ingest and delivery at once ({backend})",
            f"{e2e['delivered_per_s']}/s delivered ({e2e['delivered_vs_direct'] * 100:.0f}% of direct) while "
            f"{e2e['ingested_per_s']}/s handed in (p99 {e2e['ingest_p99_ms']:.2f} ms) for {e2e['seconds']} s; "
            f"{e2e['waiting_at_end']} waiting at the end")
        row(f"backlog drained, ingest stopped ({backend})", f"{d['deliveries_per_s']}/s ({d['delivered']} events in "
            f"{d['drain_seconds']} s), {d['deliveries_vs_direct'] * 100:.0f}% of direct")
        pc = d["paced_500"]
        row(f"ingest to delivered at 500/s ({backend})", f"p50 {pc['p50_ms']} ms, p99 {pc['p99_ms']} ms, "
            f"max {pc['max_ms']} ms ({pc['n']} events, {pc['refused']} refused)")
        row(f"300 ms receiver, 16 tenants ({backend})", f"{d['slow_receiver_16_tenants_per_s']} deliveries/s")
        fair = d["fair_200"]
        row(f"200/s beside a hanging receiver, {fair['backlog_due']} due ({backend})",
            f"p50 {fair['p50_ms']} ms, p99 {fair['p99_ms']} ms, max {fair['max_ms']} ms "
            f"({fair['n']} events, {fair['refused']} refused; the hanging one got {fair['hanging_received']})")
    for backend, tab in (("SQLite", r["deliveries_tab"]), ("PostgreSQL", r["postgres"].get("deliveries_tab"))):
        if tab is None:
            continue
        for name, run in tab.items():
            if name == "events":
                continue
            row(f"Deliveries tab, {name}, 8 conn ({backend})",
                f"{run['rps']:.0f}/s, p50 {run['p50_ms']:.2f} ms, p99 {run['p99_ms']:.2f} ms "
                f"({tab['events']} events)")
    if "lighthouse" in r:
        for page, scores in r["lighthouse"].items():
            row(f"Lighthouse {page}", ", ".join(f"{k} {scores[k]}" for k in
                                                ("performance", "accessibility", "best-practices")))
            row(f"  FCP / LCP / TBT", f"{scores['first-contentful-paint']:.0f} ms / "
                f"{scores['largest-contentful-paint']:.0f} ms / {scores['total-blocking-time']:.0f} ms")
    print("\nbudgets (this 2-core machine, wrk on the same cores):")
    p64 = r["page_c64"]
    d = r["deliveries"]
    for label, ok in [
        ("page at 64 conn >= 2,000 req/s (SQLite)", p64["rps"] >= 2000),
        ("page at 64 conn p99 <= 30 ms (SQLite)", p64["p99_ms"] <= 30),
        ("API read at 64 conn >= 2,000 req/s (SQLite)", r["api_c64"]["rps"] >= 2000),
        ("API read at 64 conn p99 <= 30 ms (SQLite)", r["api_c64"]["p99_ms"] <= 30),
        ("page p99 during 16 sign-ins <= 50 ms", r["page_during_storm_c8"]["p99_ms"] <= 50),
        ("first visit <= 250 KB gzip", fv["total_served_gzip_kb"] <= 250),
        ("login page loads no wasm", not r["login_loads_wasm"]),
        ("ingest >= 5,000 events/s at 64 conn (SQLite)", d["ingest_single_c64"]["events_per_s"] >= 5000),
        ("ingest p99 <= 20 ms at 64 conn (SQLite)", d["ingest_single_c64"]["p99_ms"] <= 20),
        ("deliveries >= 2,000/s for 60 s (SQLite)", d["deliveries_per_s"] >= 2000 and (SMOKE or d["drain_seconds"] >= 60)),
        ("ingest to delivered p99 <= 100 ms at 500/s (SQLite)", d["paced_500"]["p99_ms"] <= 100),
        ("300 ms receiver: >= 100 deliveries/s, 16 tenants", d["slow_receiver_16_tenants_per_s"] >= 100),
        ("beside a hanging receiver with 100k due: 200/s p99 <= 250 ms (SQLite)",
         (SMOKE or d["fair_200"]["backlog_due"] >= 100_000) and d["fair_200"]["p99_ms"] <= 250
         and d["fair_200"]["n"] == d["fair_200"]["sent"]),
        ("Deliveries tab p99 <= 50 ms, 1M+ events, every view (SQLite)",
         (SMOKE or r["deliveries_tab"]["events"] >= 1_000_000)
         and all(v["p99_ms"] <= 50 for k, v in r["deliveries_tab"].items() if k != "events")),
        ("Deliveries tab p99 <= 50 ms, 1M+ events, every view (PostgreSQL)",
         "deliveries_tab" in r["postgres"]
         and (SMOKE or r["postgres"]["deliveries_tab"]["events"] >= 1_000_000)
         and all(v["p99_ms"] <= 50 for k, v in r["postgres"]["deliveries_tab"].items() if k != "events")),
        ("RSS with 1M held within 20 MB of idle (SQLite)",
         d["held"] >= (0 if SMOKE else 1_000_000) and d["rss_fresh_with_held_mb"] - d["rss_idle_mb"] <= 20),
    ]:
        row(label, "met" if ok else "NOT MET")
    print("  (written to bench/results.json)")


if __name__ == "__main__":
    main()
