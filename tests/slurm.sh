#!/usr/bin/env bash
# The shipped Slurm recipe on a real single-node Slurm: installs slurm-wlm and munge from the
# distribution's packages where it can (apt-get, as root or with sudo), starts munged, slurmctld
# and slurmd on this machine with a throw-away configuration, submits scenarios/shards/
# slurm-submit.sh (a job array of 4 shards and the dependent merge) and compares the merged
# folder byte for byte with one unsharded `capsim run` (every file but run.json, which holds
# times). It stops the daemons it started, whatever happens.
#
#   tests/slurm.sh                 # CAPSIM=path/to/capsim to choose the binary
#
# Exit 0: passed, or skipped with the reason on a line starting "SKIPPED:". Exit 1: failed.
# With CI=true a skip is a failure, except when the machine has no apt-get at all (then no
# package can be installed, and it says so).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

skip() {
  echo "SKIPPED: $*"
  if [ "${CI:-}" = true ] && [ "${NO_APT:-0}" != 1 ]; then
    echo "FAILED: CI=true and the Slurm test should have run (apt-get is here)" >&2
    exit 1
  fi
  exit 0
}
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# --- capsim
CAPSIM=${CAPSIM:-}
if [ -z "$CAPSIM" ]; then
  for c in target/checked/capsim target/debug/capsim target/release/capsim; do
    [ -x "$c" ] && CAPSIM=$ROOT/$c && break
  done
fi
if [ -z "$CAPSIM" ]; then
  cargo build --quiet || fail "cannot build capsim"
  CAPSIM=$ROOT/target/debug/capsim
fi
CAPSIM=$(realpath "$CAPSIM")

# --- Slurm and munge from the distribution
NO_APT=0
command -v apt-get >/dev/null 2>&1 || NO_APT=1
if ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  [ "$NO_APT" = 1 ] && skip "Slurm is not installed and there is no apt-get to install it (not a Debian-like system)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || skip "Slurm is not installed and installing it needs root (no passwordless sudo)"
    SUDO="sudo -n"
  fi
  echo "installing slurm-wlm and munge with apt-get"
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null 2>&1 || skip "apt-get could not install slurm-wlm and munge (no network or no such packages)"
fi
for tool in sbatch squeue slurmctld slurmd munged scontrol; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing after installing slurm-wlm"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs, and this is not root"

# --- daemons, on a throw-away configuration
WORK=$(mktemp -d /tmp/capsim-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --user=root >/dev/null 2>&1
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# munge: its own key and socket under $WORK (never the machine's).
mkdir -p "$WORK/munge" && chmod 700 "$WORK/munge"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
MUNGE_SOCKET=$WORK/munge/munge.socket
munged --force --key-file="$WORK/munge/munge.key" --socket="$MUNGE_SOCKET" \
  --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munge/munged.log" \
  --seed-file="$WORK/munge/munged.seed" || skip "munged does not start here ($(tail -n 3 "$WORK/munge/munged.log" 2>/dev/null))"
PIDS+=("$(cat "$WORK/munge/munged.pid")")

HOST=$(hostname -s)
NODE=$(slurmd -C 2>/dev/null | head -n 1)
[ -n "$NODE" ] || skip "slurmd -C cannot describe this machine"
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/log"
export SLURM_CONF=$WORK/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=capsimtest
SlurmctldHost=$HOST
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
$NODE State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start here ($(tail -n 3 "$WORK/log/slurmctld.log" 2>/dev/null))"
sleep 1
[ -f "$WORK/slurmctld.pid" ] && PIDS+=("$(cat "$WORK/slurmctld.pid")")
slurmd -f "$SLURM_CONF" || skip "slurmd does not start here ($(tail -n 3 "$WORK/log/slurmd.log" 2>/dev/null))"
sleep 1
[ -f "$WORK/slurmd.pid" ] && PIDS+=("$(cat "$WORK/slurmd.pid")")
ready=0
for _ in $(seq 1 30); do
  if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then ready=1; break; fi
  sleep 1
done
if [ "$ready" != 1 ]; then
  echo "--- slurmctld.log"; tail -n 20 "$WORK/log/slurmctld.log" 2>/dev/null
  echo "--- slurmd.log"; tail -n 20 "$WORK/log/slurmd.log" 2>/dev/null
  skip "the Slurm node did not come up within 30 s (state: $(sinfo -h -N -o '%T' 2>&1 | head -n 1))"
fi
echo "slurm: $(sinfo --version), node $HOST up"

# --- the recipe: 4 shards and the dependent merge, as shipped
export SCENARIO=$ROOT/scenarios/min-nodes.toml
export OUT=$WORK/sweep
export SHARDS=4
export CAPSIM
# A sweep with commas, passed as the recipe says (through the environment).
export CAPSIM_ARGS="--replications 3 --horizon 10d --seed 7 --sweep compute.gpu-cluster.min_instances=0,1,2"
mkdir -p "$OUT"
SBATCH_ARGS="--cpus-per-task=1 --mem=0 --output=$WORK/log/%x-%A_%a.out" \
  sh "$ROOT/scenarios/shards/slurm-submit.sh" >"$WORK/ids" 2>&1 || {
  cat "$WORK/ids"
  fail "sbatch refused the recipe"
}
cat "$WORK/ids"
merge=$(awk '/^merge /{print $2}' "$WORK/ids")
[ -n "$merge" ] || fail "no merge job id"
deadline=$((SECONDS + ${SLURM_TEST_TIMEOUT:-600}))
while squeue -h -j "$merge" 2>/dev/null | grep -q .; do
  [ "$SECONDS" -lt "$deadline" ] || {
    squeue
    fail "the merge job had not finished after ${SLURM_TEST_TIMEOUT:-600} s"
  }
  sleep 2
done
for f in "$WORK"/log/*.out; do echo "--- $(basename "$f")"; cat "$f"; done
[ -f "$OUT/merged/summary.csv" ] || fail "the merge job left no $OUT/merged/summary.csv"

# --- the same sweep in one run
# shellcheck disable=SC2086
"$CAPSIM" run "$SCENARIO" --quiet --report --out "$WORK/whole" $CAPSIM_ARGS || fail "the unsharded run failed"
# Merged shards write no commitments.csv: shards do not carry the hourly node usage it is
# computed from (docs/shards.md). Everything else must be the same bytes, the report included:
# the unsharded folder's report is rewritten without that file.
if [ -f "$WORK/whole/commitments.csv" ]; then
  rm "$WORK/whole/commitments.csv"
  "$CAPSIM" report "$WORK/whole" >/dev/null || fail "capsim report on the unsharded folder failed"
fi
if diff -r -x run.json "$WORK/whole" "$OUT/merged" >"$WORK/diff" 2>&1; then
  n=$(find "$OUT/merged" -type f ! -name run.json | wc -l)
  echo "PASSED: the Slurm array's merged folder equals the unsharded run's ($n files, byte for byte, run.json aside)"
else
  head -n 20 "$WORK/diff"
  fail "the merged folder differs from the unsharded run's"
fi
