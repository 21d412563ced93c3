#!/usr/bin/env bash
# CPU of the whole database cluster per completion, measured with pgbench against the worker's
# completion statements alone (docs/scaling.md, "Fewer statements per completion"):
#
#   ops/pgbench-completion/run.sh [FUNCTIONS.sql] CLIENTS COMPLETIONS_PER_CLIENT [STEP]
#
# Each pgbench client is a one-slot worker: the results DELETE + INSERT of `bench_results` and
# `slipline_finish_claim` (which records the task and claims the next) in one transaction
# (STEP=step, default) or without the DELETE (STEP=step-nodelete). A fresh running job of
# 64 counter slots is made first, as planning leaves it. FUNCTIONS.sql (or "-") is loaded into
# the database first: a way to compare two versions of the queue's functions on one database.
# Target: SLIPLINE_DATABASE_URL, else the embedded database (`ctl db url`, CTL=path to ctl).
# Needs pgbench (postgresql-client) and this machine's /proc (the server must be local).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
functions=$1; c=$2; t=$3; step=${4:-step}
url=${SLIPLINE_DATABASE_URL:-$("${CTL:-.build/release/ctl}" db url)}
backend=$(psql "$url" -Atc "SELECT pg_backend_pid()")
pm=$(ps -o ppid= -p "$backend" 2>/dev/null | tr -d ' ' || true)
[ -n "$pm" ] || pm=$(psql "$url" -Atc "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'" | xargs ps -o ppid= -p | tr -d ' ')
# The postmaster's own and its reaped children's CPU (ended backends), plus every live child's.
cpu() { local s; s=$(awk '{print $14+$15+$16+$17}' "/proc/$pm/stat")
        for p in $(ps --ppid "$pm" -o pid=); do [ -r "/proc/$p/stat" ] && s=$((s + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$s"; }
[ "$functions" = "-" ] || psql "$url" -q -f "$functions"
psql "$url" -q -v n=$((c * t + c * 2 + 10)) -f "$here/setup.sql"
psql "$url" -qc "INSERT INTO workers (id, host, pid, slots) SELECT 'pgb-' || g, 'pgbench', 1, 1 FROM generate_series(0, $((c - 1))) g ON CONFLICT (id) DO UPDATE SET state = 'running'"
psql "$url" -q -c "VACUUM ANALYZE tasks" -c "VACUUM ANALYZE job_counters" -c "VACUUM ANALYZE jobs" -c "CHECKPOINT"
load0=$(cut -d' ' -f1 /proc/loadavg); c0=$(cpu)
out=$(pgbench -n -M extended -c "$c" -j 1 -t $((t + 1)) -D tid=0 -D att=0 -D jid=0 -f "$here/$step.sql" "$url" 2>&1)
c1=$(cpu); load1=$(cut -d' ' -f1 /proc/loadavg)
# The job keeps a few unclaimed tasks and each client one leased task: cancel it, so that
# nothing of it is left for real workers (its pgbench "workers" will be marked lost).
psql "$url" -qAtc "SELECT slipline_cancel(id) FROM jobs WHERE input = 'pgbench-micro' AND state = 'running'" >/dev/null
echo "$step clients=$c completions=$((c * t)) cluster CPU ms per completion: $(echo "scale=3; ($c1 - $c0) * 1000 / $(getconf CLK_TCK) / ($c * $t)" | bc)" \
     "$(echo "$out" | grep -oE 'tps = [0-9.]+' | head -1) $(echo "$out" | grep -E 'failed' | tr '\n' ' ') load $load0-$load1"
