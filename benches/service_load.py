#!/usr/bin/env python3
"""kfql serve under load: BENCHMARKS.md's "kfql serve under load" tables.

    python3 benches/service_load.py sqlite      # or: postgres, or both
    KFQL_LOAD_SECONDS=10 KFQL_LOAD_RECORDS=100000 python3 benches/service_load.py both

For each database: 100,000 instances (Q1-Q4 of BENCHMARKS.md, reference ids
spread over 1..=1,000,000) imported with `kfql import`, then `kfql serve`
(release build, log lines on) loaded by examples/service_load.rs with pages
of 50 for Q1-Q4 at 1, 8 and 64 connections, and beside each the same page
and count run straight on the database by the same statements at the same
concurrency (`service_load direct`), so the ratio is what HTTP, JSON and
authentication add; and the CPU time per request of the server, the load
client and the direct run, which share the machine's cores (the timed
ratio pays for all three). Then ticket creates at 8 connections, checked
against the database afterwards (none lost), and the service's peak
resident memory under the page load and after the creates. PostgreSQL is
a throwaway cluster made here, with fsync on.

Standard library only. Prints a Markdown table per database.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import base64
import glob
import resource

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECONDS = float(os.environ.get("KFQL_LOAD_SECONDS", "5"))
RECORDS = int(os.environ.get("KFQL_LOAD_RECORDS", "100000"))
CONNECTIONS = [1, 8, 64]
USER, PASSWORD = "BENCH\\load", "load-bench-password"

QUERIES = {
    "Q1": 'Status -eq "Running"',
    "Q2": 'Status -eq "Failed" AND StartDate -ge "2024-06-01"',
    "Q3": 'Title -contains "appsrvr1" OR InitiatingUserName -startswith "KEYEXAMPLE\\\\j"',
    "Q4": '(Status -eq "Running" OR Status -eq "Suspended") AND ReferenceId -gt 500000 AND WorkflowType -ne "Revocation"',
}

CREATE = {
    "ObjectDN": "\\VED\\Policy\\Certificates\\web01.example.com",
    "WorkflowDN": "\\VED\\Policy\\Workflows\\Approval",
    "Approvers": ["local:BENCH\\load"],
}


def target():
    out = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(out, "release")


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--features", "server",
         "--bin", "kfql", "--example", "service_load"],
        cwd=ROOT, check=True)


def kfql(*args, **kw):
    return subprocess.run([os.path.join(target(), "kfql"), *args], check=True, **kw)


def load_client(*args):
    """The client's JSON line, with `cpu_s`: the CPU time (user and
    system) the client process used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([os.path.join(target(), "examples", "service_load"), *args],
                         check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


class Server:
    def __init__(self, database, users, work):
        self.log = open(os.path.join(work, "serve.log"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(target(), "kfql"), "serve", "--listen", "127.0.0.1:0",
             "--database", database, "--users", users],
            stdout=subprocess.DEVNULL, stderr=self.log, env={**os.environ, "RUST_LOG": "info"})
        deadline = time.time() + 60
        self.url = None
        while time.time() < deadline and self.url is None:
            time.sleep(0.1)
            self.log.seek(0)
            m = re.search(r"listening on (\S+)", self.log.read())
            if m:
                self.url = m.group(1)
        if self.url is None:
            self.stop()
            raise SystemExit("kfql serve did not start")

    def cpu_s(self):
        """CPU time (user and system) the server has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def token(url):
    body = json.dumps({"client_id": "bench", "username": USER, "password": PASSWORD,
                       "scope": "configuration:manage,delete"}).encode()
    req = urllib.request.Request(url + "/vedauth/authorize/oauth", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["access_token"]


def ticket_count(url, bearer):
    req = urllib.request.Request(url + "/vedsdk/Workflow/Ticket/Enumerate", data=b"{}",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + bearer})
    with urllib.request.urlopen(req) as r:
        guids = json.load(r)["GUIDS"]
    return len(guids), len(set(g.lower() for g in guids))


def start_postgres(work):
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    bindir = bins[-1] if bins else os.path.dirname(shutil.which("pg_ctl") or "")
    if not bindir:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    data = os.path.join(work, "pg")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(work, "postgres")
    subprocess.run([*as_pg, f"{bindir}/initdb", "-D", data, "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    port = 55000 + os.getpid() % 1000
    subprocess.run([*as_pg, f"{bindir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(data, "log"),
                    "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200",
                    "start"], check=True, capture_output=True)
    stop = lambda: subprocess.run([*as_pg, f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "stop"],
                                  capture_output=True)
    return f"postgres://postgres@127.0.0.1:{port}/postgres", stop


def run(engine):
    work = tempfile.mkdtemp(prefix=f"kfql-load-{engine}-")
    os.chmod(work, 0o777)
    stop_pg = None
    try:
        if engine == "sqlite":
            database = "sqlite:" + os.path.join(work, "bench.db")
        else:
            database, stop_pg = start_postgres(work)
        data = os.path.join(work, "instances.jsonl")
        subprocess.run([os.path.join(target(), "examples", "service_load"), "data", str(RECORDS), data],
                       check=True)
        users = os.path.join(work, "users.json")
        kfql("user", "add", "--users", users, USER, "--permission", "/workflows/instances/read/",
             "--scope", "configuration:manage,delete", "--identity", "local:BENCH\\load",
             input=PASSWORD + "\n", text=True, capture_output=True)
        kfql("import", "--database", database, data, capture_output=True)
        server = Server(database, users, work)
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        rows = []
        try:
            for name, q in QUERIES.items():
                url = server.url + "/KeyfactorAPI/Workflow/Instances?" + urllib.parse.urlencode(
                    {"QueryString": q, "ReturnLimit": 50, "SortField": "StartDate", "SortAscending": 1},
                    quote_via=urllib.parse.quote)
                for c in CONNECTIONS:
                    cpu_before = server.cpu_s()
                    http = load_client("load", "--connections", str(c), "--seconds", str(SECONDS),
                                       "--header", "Authorization: " + basic,
                                       "--header", "X-Keyfactor-Requested-With: bench", url)
                    http["server_cpu_s"] = server.cpu_s() - cpu_before
                    direct = load_client("direct", "--database", database, "--connections", str(c),
                                         "--seconds", str(SECONDS), "--query", q,
                                         "--sort", "StartDate", "--descending", "--limit", "50")
                    rows.append((name, c, http, direct))
                    print(f"{engine} {name} c={c}: {http['rps']:.0f} req/s p50 {http['p50_ms']:.2f} ms "
                          f"p99 {http['p99_ms']:.2f} ms errors {http['errors']}; direct "
                          f"{direct['rps']:.0f}/s p50 {direct['p50_ms']:.2f} ms", file=sys.stderr)
            # The peak under the page load (the 64-connection cells are
            # the largest), before the creates and the Enumerate of every
            # ticket they made, whose answer holds them all.
            rss = server.peak_rss_mb()
            bearer = token(server.url)
            body = os.path.join(work, "create.json")
            with open(body, "w") as f:
                json.dump(CREATE, f)
            before, _ = ticket_count(server.url, bearer)
            creates = load_client("load", "--method", "POST", "--connections", "8", "--seconds",
                                  str(SECONDS), "--header", "Authorization: Bearer " + bearer,
                                  "--body", body, server.url + "/vedsdk/Workflow/Ticket/Create")
            after, distinct = ticket_count(server.url, bearer)
            rss_all = server.peak_rss_mb()
        finally:
            server.stop()
        print(f"\n### {engine}: {RECORDS:,} instances, {SECONDS:g} s per cell\n")
        print("| query | connections | requests/s | p50 ms | p99 ms | errors | database alone: /s | p50 ms | service / database (mean time) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, c, h, d in rows:
            ratio = h["mean_ms"] / d["mean_ms"] if d["mean_ms"] else float("nan")
            print(f"| {name} | {c} | {h['rps']:,.0f} | {h['p50_ms']:.2f} | {h['p99_ms']:.2f} | "
                  f"{h['errors']} | {d['rps']:,.0f} | {d['p50_ms']:.2f} | {ratio:.2f}x |")
        # Where the CPU went: the machine's cores run the service, the load
        # client and the kernel's loopback together, and the direct runs
        # pay for none but the database's work.
        print("\nCPU time per request (user and system, µs): the server process, the load client, "
              "and the direct run's process.\n")
        print("| query | connections | server | load client | server + client | direct | server / direct | server + client / direct |")
        print("|---|---|---|---|---|---|---|---|")
        for name, c, h, d in rows:
            per = lambda seconds, n: seconds / n * 1e6 if n else float("nan")
            srv, cli = per(h["server_cpu_s"], h["requests"]), per(h["cpu_s"], h["requests"])
            dr = per(d["cpu_s"], d["requests"])
            print(f"| {name} | {c} | {srv:.0f} | {cli:.0f} | {srv + cli:.0f} | {dr:.0f} | "
                  f"{srv / dr:.2f}x | {(srv + cli) / dr:.2f}x |")
        print(f"\nTicket creates, 8 connections: {creates['rps']:,.0f}/s, p50 {creates['p50_ms']:.2f} ms, "
              f"p99 {creates['p99_ms']:.2f} ms, errors {creates['errors']}; "
              f"acknowledged {creates['requests']:,}, stored {after - before:,} "
              f"({'none lost' if after - before >= creates['requests'] and distinct == after else 'LOST OR DUPLICATED'}).")
        print(f"Service peak resident memory: {rss:.0f} MB under the page load; "
              f"{rss_all:.0f} MB after the creates and an Enumerate of all {after:,} tickets.")
    finally:
        if stop_pg:
            stop_pg()
        shutil.rmtree(work, ignore_errors=True)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    build()
    for engine in (["sqlite", "postgres"] if which == "both" else [which]):
        run(engine)


if __name__ == "__main__":
    main()
