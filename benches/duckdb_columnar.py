#!/usr/bin/env python3
"""DuckDB on the columnar benchmark's data, and kfql's CLI over the same
Parquet file (BENCHMARKS.md, "Columns").

    python3 benches/duckdb_columnar.py [--records N] [--threads T]

Installs DuckDB and pyarrow from PyPI in target/duckdb-venv on first use
(and re-runs itself there), writes target/columnar-N.parquet with kfql's
example `columnar_data` when missing (the records of benches/columnar.rs),
then prints:

- in memory: DuckDB over an in-memory table built from the same Arrow
  data (pyarrow reads the file; the table is created from it), T threads
  (default 1, as kfql's library evaluates on the caller's thread): Q1–Q4
  counts and page 3 of 50 by StartDate descending over Q2, each the median
  of 15 runs after 3 warm-ups, with the counts checked against kfql's;
- the CLI: `kfql query --data FILE --count` Q2 as a whole process (wall
  time and peak RSS from /usr/bin/time, median of 7), against DuckDB's
  query alone over the same file with every core.

The kfql figures to compare with come from
`cargo bench --features arrow --bench columnar` (target/criterion); the
ratios are printed when those results are there.
"""
import argparse, json, os, pathlib, statistics, subprocess, sys, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "duckdb-venv"
# pytz: DuckDB needs it to hand TIMESTAMP WITH TIME ZONE values to Python.
PINS = ["duckdb==1.5.6", "pyarrow==25.0.1", "pytz==2026.4"]

# The language's meaning in DuckDB's SQL: both sides lower-cased, trailing
# spaces ignored by equality, `-ge D` from D 00:00 UTC; NULL matches nothing.
def eq(col, v):
    return f"lower(rtrim(\"{col}\", ' ')) = '{v}'"

Q = {
    "Q1": eq("Status", "running"),
    "Q2": f"{eq('Status', 'failed')} AND \"StartDate\" >= TIMESTAMPTZ '2024-06-01 00:00:00+00'",
    "Q3": "contains(lower(\"Title\"), 'appsrvr1') OR starts_with(lower(\"InitiatingUserName\"), 'keyexample\\j')",
    "Q4": f"({eq('Status', 'running')} OR {eq('Status', 'suspended')}) AND \"ReferenceId\" > 500000 AND lower(rtrim(\"WorkflowType\", ' ')) <> 'revocation'",
}
KFQL_Q = {
    "Q1": 'Status -eq "Running"',
    "Q2": 'Status -eq "Failed" AND StartDate -ge "2024-06-01"',
    "Q3": 'Title -contains "appsrvr1" OR InitiatingUserName -startswith "KEYEXAMPLE\\\\j"',
    "Q4": '(Status -eq "Running" OR Status -eq "Suspended") AND ReferenceId -gt 500000 AND WorkflowType -ne "Revocation"',
}
# For scale only: plain `=` on the stored text, case- and space-sensitive
# (not the language's meaning; right here only because the data is
# canonical), which lets DuckDB compare dictionary codes.
PLAIN = {
    "Q1": "\"Status\" = 'Running'",
    "Q2": "\"Status\" = 'Failed' AND \"StartDate\" >= TIMESTAMPTZ '2024-06-01 00:00:00+00'",
    "Q3": "\"Title\" ILIKE '%appsrvr1%' OR \"InitiatingUserName\" ILIKE 'keyexample\\j%' ESCAPE '!'",
    "Q4": "\"Status\" IN ('Running', 'Suspended') AND \"ReferenceId\" > 500000 AND \"WorkflowType\" <> 'Revocation'",
}
PAGE = f'SELECT * FROM t WHERE {Q["Q2"]} ORDER BY "StartDate" DESC NULLS LAST, "ReferenceId" ASC LIMIT 50 OFFSET 100'


def in_venv():
    py = VENV / "bin" / "python"
    if pathlib.Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *PINS], check=True)
    os.execv(str(py), [str(py), __file__, *sys.argv[1:]])


def median_time(f, runs=15, warm=3):
    for _ in range(warm):
        f()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def fmt(s):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def criterion(n, who, what):
    f = ROOT / "target" / "criterion" / f"columnar_{n}" / who / what / "new" / "estimates.json"
    return json.loads(f.read_text())["median"]["point_estimate"] / 1e9 if f.exists() else None


def main():
    in_venv()
    import duckdb, pyarrow.parquet as pq

    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    n = args.records
    path = ROOT / "target" / f"columnar-{n}.parquet"
    kfql = ROOT / "target" / "release" / "kfql"
    if not path.exists():
        subprocess.run(["cargo", "run", "--release", "--features", "parquet", "--example",
                        "columnar_data", "--", str(path), str(n)], cwd=ROOT, check=True)
    if not kfql.exists():
        subprocess.run(["cargo", "build", "--release", "--features", "parquet"], cwd=ROOT, check=True)

    con = duckdb.connect()
    con.execute(f"SET threads={args.threads}")
    src = pq.read_table(path)
    con.register("src", src)
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    con.unregister("src")
    print(f"DuckDB {duckdb.__version__}, {n:,} rows in memory, {args.threads} thread(s)\n")
    print("| measure | DuckDB | kfql columns | DuckDB / kfql | kfql rows | rows / columns | columns closure | kfql / closure | DuckDB, plain `=` (other meaning) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, where in Q.items():
        sql = f"SELECT count(*) FROM t WHERE {where}"
        got = con.execute(sql).fetchone()[0]
        cli = subprocess.run([str(kfql), "query", "--data", str(path), "--count", "--now",
                              "2024-07-01T00:00:00Z", KFQL_Q[name]], capture_output=True, text=True, check=True)
        assert int(cli.stdout) == got, f"{name}: DuckDB counts {got}, kfql {cli.stdout.strip()}"
        d = median_time(lambda: con.execute(sql).fetchone())
        plain = f"SELECT count(*) FROM t WHERE {PLAIN[name]}"
        assert con.execute(plain).fetchone()[0] == got, f"{name}: the plain form counts differently"
        p = median_time(lambda: con.execute(plain).fetchone())
        row(name, d, criterion(n, "kfql_arrow", name), criterion(n, "kfql_rows", name),
            criterion(n, "columns_closure", name), p)
    d = median_time(lambda: con.execute(PAGE).fetchall())
    ids = [r[0] for r in con.execute(f"SELECT \"ReferenceId\" FROM ({PAGE})").fetchall()]
    cli = subprocess.run([str(kfql), "query", "--data", str(path), "--format", "jsonl", "--now",
                          "2024-07-01T00:00:00Z", "--sort", "StartDate", "--desc", "--page", "3",
                          "--limit", "50", KFQL_Q["Q2"]], capture_output=True, text=True, check=True)
    assert [json.loads(l)["ReferenceId"] for l in cli.stdout.splitlines()] == ids, "the pages differ"
    row("page 3 of 50, Q2, StartDate desc", d, criterion(n, "kfql_arrow", "page3_Q2"),
        criterion(n, "kfql_rows", "page3_Q2"), None, None)

    # The CLI as a whole process against DuckDB's query alone, every core.
    cores = os.cpu_count()
    con2 = duckdb.connect()
    con2.execute(f"SET threads={cores}")
    sql = f"SELECT count(*) FROM read_parquet('{path}') WHERE {Q['Q2']}"
    d = median_time(lambda: con2.execute(sql).fetchone(), runs=7, warm=2)
    walls, rss = [], []
    for _ in range(7):
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", str(kfql), "query", "--data", str(path),
                            "--count", "--now", "2024-07-01T00:00:00Z", KFQL_Q["Q2"]],
                           capture_output=True, text=True, check=True)
        wall, kb = r.stderr.strip().splitlines()[-1].split()
        walls.append(float(wall))
        rss.append(int(kb))
    # /usr/bin/time prints wall time in hundredths: time the process here too.
    t = median_time(lambda: subprocess.run([str(kfql), "query", "--data", str(path), "--count", "--now",
                                            "2024-07-01T00:00:00Z", KFQL_Q["Q2"]], capture_output=True, check=True),
                    runs=7, warm=1)
    print(f"\nCLI, {cores} threads: `kfql query --data {path.name} --count` Q2, whole process: {fmt(t)}, "
          f"peak RSS {max(rss) / 1024:.0f} MB; DuckDB's query alone over the same file: {fmt(d)} "
          f"(DuckDB / kfql {d / t:.2f}×)")


def row(name, duck, arrow, rows, closure, plain):
    c = lambda x: fmt(x) if x else "–"
    ratio = f"{duck / arrow:.1f}×" if arrow else "–"
    speedup = f"{rows / arrow:.1f}×" if arrow and rows else "–"
    lim = f"{arrow / closure:.2f}×" if arrow and closure else "–"
    print(f"| {name} | {fmt(duck)} | {c(arrow)} | {ratio} | {c(rows)} | {speedup} | {c(closure)} | {lim} | {c(plain)} |")


if __name__ == "__main__":
    main()
