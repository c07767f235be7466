#!/usr/bin/env python3
"""Print the BENCHMARKS.md tables from target/criterion after
`cargo bench --bench pipeline`: medians, throughput and kfql/baseline ratios."""
import json, pathlib, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")

def median(*parts):
    f = root.joinpath(*parts, "new", "estimates.json")
    return json.loads(f.read_text())["median"]["point_estimate"] if f.exists() else None

def fmt(ns):
    if ns is None:
        return "–"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

print("### parse\n\n| input | time per parse | parses per second |\n|---|---|---|")
for q in ["Q1", "Q2", "Q3", "Q4", "Q5", "depth64", "or1000"]:
    t = median("parse", q)
    if t:
        print(f"| {q} | {fmt(t)} | {1e9 / t:,.0f} |")

print("\n### compile\n\n| query | time |\n|---|---|")
for q in ["Q1", "Q2", "Q3", "Q4", "Q5", "or1000"]:
    print(f"| {q} | {fmt(median('compile', q))} |")

for group in sorted(p.name for p in root.glob("eval_*")):
    n = group.split("_")[1]
    print(f"\n### eval, {int(n):,} records\n")
    print("| query | kfql (typed) | closure | ratio | kfql (serde_json::Value) | per record (typed) |\n|---|---|---|---|---|---|")
    for q in ["Q1", "Q2", "Q3", "Q4"]:
        k, c, j = median(group, "kfql", q), median(group, "closure", q), median(group, "kfql_json", q)
        if k and c:
            print(f"| {q} | {fmt(k)} | {fmt(c)} | {k / c:.2f}× | {fmt(j)} | {fmt(k / int(n))} |")
    w = median(group, "kfql", "or1000")
    if w:
        print(f"| or1000 (1,000 clauses) | {fmt(w)} | – | – | – | {fmt(w / int(n))} |")

for group in sorted(p.name for p in root.glob("bound_*")):
    n = group.split("_")[1]
    print(f"\n### bound evaluation, {int(n):,} records\n")
    print("| query | closure | Filter::count | Bound::count | Bound::count_slice | slice / closure | iterator / closure | Filter / closure |\n|---|---|---|---|---|---|---|---|")
    for q in ["Q1", "Q2", "Q3", "Q4"]:
        c, k, b, s = (median(group, x, q) for x in ("closure", "kfql", "bound", "slice"))
        if c and k and b and s:
            print(f"| {q} | {fmt(c)} | {fmt(k)} | {fmt(b)} | {fmt(s)} | {s / c:.2f}× | {b / c:.2f}× | {k / c:.2f}× |")
    s, p = median(group, "slice", "Q4"), median(group, "slice_plain", "Q4")
    c, cp = median(group, "closure", "Q4"), median(group, "closure_plain", "Q4")
    if s and p and c and cp:
        print(f"\nQ4 over `WorkflowInstance` (368 bytes a record) and over a plain struct of Q4's fields: "
              f"`count_slice` {fmt(s)} and {fmt(p)} ({s / p:.2f}×), the closure {fmt(c)} and {fmt(cp)} ({c / cp:.2f}×); "
              f"`count_slice` / closure: {s / c:.2f}× and {p / cp:.2f}×")

for group in sorted(p.name for p in root.glob("page_*")):
    n = group.split("_")[1]
    print(f"\n### page (StartDate descending, limit 50), {int(n):,} records\n")
    print("| query | page | kfql top-k | filter + full sort | full sort / kfql |\n|---|---|---|---|---|")
    for label in ["Q2", "all"]:
        for page in ["page1", "page3", "last"]:
            k, f = median(group, f"kfql_{label}", page), median(group, f"full_sort_{label}", page)
            if k and f:
                print(f"| {label} | {page} | {fmt(k)} | {fmt(f)} | {f / k:.1f}× |")
