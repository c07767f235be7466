#!/usr/bin/env bash
# kfql serve's instructions per request against the database's own, under
# callgrind: BENCHMARKS.md's "The ratio in instructions".
#
#     bash benches/service_instructions.sh [KFQL_BINARY]
#
# Builds kfql and examples/service_load in release (unless a kfql binary is
# given, to measure an older build against the same database), writes
# 100,000 instances into a SQLite database in a temporary directory, and for
# Q1, Q2 and Q4 (pages of 50 by StartDate descending):
# - the service: `kfql serve` under callgrind, one connection from
#   `service_load load` for 3 s to warm up, then counters zeroed
#   (`callgrind_control -z`), 10 s of load, counters dumped (`-d`);
#   instructions over requests;
# - direct: `service_load direct` (one task) under callgrind for 3 s and
#   for 13 s; the difference of instructions over the difference of
#   requests, so that start-up cancels.
# Needs valgrind. Prints one line per query.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/release
(cd "$root" && cargo build --release --locked --features server --bin kfql --example service_load >&2)
kfql=${1:-$target/kfql}
load=$target/examples/service_load
work=$(mktemp -d)
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$load" data 100000 "$work/instances.jsonl" >/dev/null
printf 'load-bench-password\n' | "$kfql" user add --users "$work/users.json" 'BENCH\load' \
    --permission /workflows/instances/read/ >/dev/null
"$kfql" import --database "sqlite:$work/bench.db" "$work/instances.jsonl" >/dev/null
basic="Basic $(printf '%s' 'BENCH\load:load-bench-password' | base64)"

declare -A queries=(
    [Q1]='Status -eq "Running"'
    [Q2]='Status -eq "Failed" AND StartDate -ge "2024-06-01"'
    [Q4]='(Status -eq "Running" OR Status -eq "Suspended") AND ReferenceId -gt 500000 AND WorkflowType -ne "Revocation"'
)

# The `requests` member of service_load's JSON line.
requests() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["requests"])'; }
# The total instructions of the callgrind files given.
instructions() { grep -h '^totals:\|^summary:' "$@" | tail -n 1 | awk '{print $2}'; }

for q in Q1 Q2 Q4; do
    query=${queries[$q]}
    # Service.
    rm -f "$work"/cg.*
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$kfql" serve \
        --listen 127.0.0.1:0 --database "sqlite:$work/bench.db" --users "$work/users.json" \
        >/dev/null 2>"$work/serve.log" &
    server=$!
    for _ in $(seq 120); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.5; done
    url=$(grep -o 'listening on [^ ]*' "$work/serve.log" | awk '{print $3}')
    path=$(python3 -c 'import sys, urllib.parse as u; print("/KeyfactorAPI/Workflow/Instances?" + u.urlencode({"QueryString": sys.argv[1], "ReturnLimit": 50, "SortField": "StartDate", "SortAscending": 1}, quote_via=u.quote))' "$query")
    run() { "$load" load --connections 1 --seconds "$1" --header "Authorization: $basic" \
        --header "X-Keyfactor-Requested-With: bench" "$url$path"; }
    run 3 >/dev/null
    callgrind_control -z "$server" >/dev/null 2>&1
    n=$(run 10 | requests)
    callgrind_control -d "$server" >/dev/null 2>&1
    sleep 1
    i=$(instructions "$work"/cg.out.*)
    kill "$server"; wait "$server" 2>/dev/null || true; server=
    service=$((i / n))
    # Direct.
    for s in 3 13; do
        rm -f "$work"/cgd.*
        n=$(valgrind --tool=callgrind --callgrind-out-file="$work/cgd.out" "$load" direct \
            --database "sqlite:$work/bench.db" --connections 1 --seconds "$s" --query "$query" \
            --sort StartDate --descending --limit 50 2>/dev/null | requests)
        declare "n$s=$n" "i$s=$(instructions "$work"/cgd.out)"
    done
    direct=$(( (i13 - i3) / (n13 - n3) ))
    python3 -c "import sys; s, d = int(sys.argv[2]), int(sys.argv[3]); print(f'{sys.argv[1]}: service {s:,} instructions a request, direct {d:,}, {s / d:.2f}x')" "$q" "$service" "$direct"
done
