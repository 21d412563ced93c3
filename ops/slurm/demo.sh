#!/usr/bin/env bash
# A real Slurm on this one machine, and a Slipline job completed by workers that Slurm started:
#   installs Debian's slurm-wlm and munge (if missing), writes a single-node slurm.conf under a
#   scratch directory, starts munged, slurmctld and slurmd (inside a private network namespace,
#   so the daemons' ports are reachable from nowhere else), submits a bench job to a fresh
#   embedded database, runs `ctl scale --slurm 2`, waits for the job, and cancels the workers
#   (they release their leases on Slurm's SIGTERM). Everything it started is stopped on exit.
# Needs root. Usage: ops/slurm/demo.sh   (CTL=path/to/ctl to choose the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (it installs packages and starts daemons)" >&2; exit 1; }

ctl="${CTL:-}"
if [ -z "$ctl" ]; then
  for c in .build/release/ctl .build/debug/ctl; do [ -x "$c" ] && { ctl="$repo/$c"; break; }; done
fi
if [ -z "$ctl" ]; then swift build -c release --product ctl; ctl="$repo/.build/release/ctl"; fi
ctl="$(readlink -f "$ctl")"

# 1. Packages.
need=()
for p in slurm-wlm munge iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The packages may start system daemons with the default configuration; this demo runs its own.
for s in slurmd slurmctld munge; do systemctl stop "$s" >/dev/null 2>&1 || true; done

# 2. Scratch directory, network namespace, cleanup.
dir="$(mktemp -d /tmp/slipline-slurm-XXXXXX)"
chmod 755 "$dir"
ns="slslurm$$"
export SLIPLINE_HOME="$dir/home"
pids=()
cleanup() {
  set +e
  [ -n "${SLURM_CONF:-}" ] && inns scancel --quiet --user=root >/dev/null 2>&1
  sleep 1
  for f in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip netns delete "$ns" 2>/dev/null
  "$ctl" db stop >/dev/null 2>&1
  [ -z "${KEEP:-}" ] && rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
# Slurm resolves its addresses with AI_ADDRCONFIG, which ignores loopback: give the namespace
# one private address of its own.
ip -n "$ns" link add sldemo0 type veth peer name sldemo1
ip -n "$ns" link set sldemo1 up
ip -n "$ns" addr add 10.214.0.1/24 dev sldemo0
ip -n "$ns" link set sldemo0 up
addr=10.214.0.1
# nsenter, not `ip netns exec`: that remounts /sys and would hide the cgroup mounts slurmd needs.
inns() { nsenter --net="/run/netns/$ns" "$@"; }

# 3. munge, with its own socket and key.
mkdir -p "$dir/munge"
chown munge:munge "$dir/munge"; chmod 755 "$dir/munge"
if [ ! -s /etc/munge/munge.key ]; then
  (umask 077; dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none)
  chown munge:munge /etc/munge/munge.key
fi
runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
cp "$dir/munge/munged.pid" "$dir/munged.pid"

# 4. A single-node slurm.conf: this machine is the controller and the only compute node.
node="$(hostname -s)"
mkdir -p "$dir/state" "$dir/spool" "$dir/jobs"
export SLURM_CONF="$dir/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=slipline-demo
SlurmctldHost=${node}(${addr})
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=30
NodeName=${node} NodeAddr=${addr} CPUs=$(nproc) State=UNKNOWN
PartitionName=demo Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF

echo "== starting slurmctld and slurmd ($(slurmctld -V))"
inns slurmctld -f "$SLURM_CONF"
inns slurmd -f "$SLURM_CONF" -N "$node"
for _ in $(seq 1 60); do
  state="$(inns sinfo -h -N -o %t 2>/dev/null | head -1)"
  [ "$state" = "idle" ] && break
  sleep 1
done
inns sinfo
[ "$state" = "idle" ] || { echo "slurm node did not become idle (state '$state'); logs in $dir (KEEP=1 keeps them)"; tail -20 "$dir/slurmctld.log" "$dir/slurmd.log"; exit 1; }

# 5. A job, a coordinator, and two workers started by Slurm.
"$ctl" db start >/dev/null
job="$("$ctl" submit bench-demo --kind bench --param tasks=40 --param sleep_ms=250 | tail -1 | awk '{print $2}')"
echo "== submitted job $job (40 tasks of 250 ms + a merge)"
"$ctl" coordinator --log-level warning >"$dir/coordinator.log" 2>&1 &
pids+=($!)
cd "$dir/jobs"
echo "== ctl scale --slurm 2 --time 5"
inns "$ctl" scale --slurm 2 --time 5 --script "$repo/ops/slurm/slipline-worker.sbatch"
cd "$repo"
sleep 2
inns squeue
"$ctl" wait "$job" | tail -1
echo "== who ran the tasks (workers registered from Slurm's job steps):"
"$ctl" sql "SELECT w.id AS worker, w.state, count(b.*) AS tasks FROM workers w LEFT JOIN bench_results b ON b.worker_id = w.id AND b.job_id = $job GROUP BY w.id, w.state ORDER BY w.id"
for f in "$dir"/jobs/slipline-worker-*.out; do echo "-- $(basename "$f"):"; head -3 "$f"; done
pids_seen="$("$ctl" sql "SELECT pid FROM workers" --csv | tail -n +2)"
for p in $pids_seen; do
  if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -q '^SLURM_ARRAY_TASK_ID='; then
    echo "worker pid $p: started by Slurm (array task $(tr '\0' '\n' < /proc/$p/environ | sed -n 's/^SLURM_ARRAY_TASK_ID=//p'))"
  fi
done

# 6. Cancel the workers: Slurm's SIGTERM makes them release what they hold and exit.
inns scancel --user=root
for _ in $(seq 1 30); do
  running="$("$ctl" sql "SELECT count(*) FROM workers WHERE state <> 'stopped'" --csv | tail -1)"
  [ "$running" = "0" ] && break
  sleep 1
done
echo "== after scancel: $running worker(s) not stopped"
"$ctl" status "$job" | tail -3
