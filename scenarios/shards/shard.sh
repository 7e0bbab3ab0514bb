#!/bin/sh
# Runs one shard of a capsim sweep on whichever batch system started it, then exits with
# capsim's exit code. The shard number is SHARD (1-based) when it is set, so that a number given
# by hand wins; else the system's own task index:
#   Kubernetes Indexed Job   JOB_COMPLETION_INDEX   (0-based)
#   Slurm job array          SLURM_ARRAY_TASK_ID    (0-based with --array=0-(N-1))
#   Azure Batch              AZ_BATCH_TASK_ID       (task ids "shard-1" ... "shard-N")
# Required: SCENARIO (the scenario file), SHARDS (N), OUT (a folder shared by all shards; each
# shard writes OUT/shard-K). Optional: CAPSIM (the binary, default capsim), CAPSIM_ARGS (extra
# arguments such as "--replications 20", the same for every shard).
set -eu
: "${SCENARIO:?set SCENARIO to the scenario file}"
: "${SHARDS:?set SHARDS to the number of shards}"
: "${OUT:?set OUT to the folder the shards write into}"
CAPSIM="${CAPSIM:-capsim}"
if [ -n "${SHARD:-}" ]; then
  K="$SHARD"
elif [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
  K=$((JOB_COMPLETION_INDEX + 1))
elif [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  K=$((SLURM_ARRAY_TASK_ID + 1))
elif [ -n "${AZ_BATCH_TASK_ID:-}" ]; then
  K="${AZ_BATCH_TASK_ID#shard-}"
else
  echo "shard.sh: no task index (SHARD, JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AZ_BATCH_TASK_ID)" >&2
  exit 2
fi
# shellcheck disable=SC2086  # CAPSIM_ARGS is a list of arguments on purpose
exec "$CAPSIM" run "$SCENARIO" --quiet --shard "$K/$SHARDS" --out "$OUT/shard-$K" ${CAPSIM_ARGS:-}
