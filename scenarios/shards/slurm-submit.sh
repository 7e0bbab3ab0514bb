#!/bin/sh
# Submits a capsim sweep to Slurm: the job array of slurm-array.sh (SHARDS tasks) and the merge,
# which starts when every shard has succeeded (and is cancelled if one fails). Run it from the
# repository root with SCENARIO, OUT and SHARDS set (and optionally CAPSIM, CAPSIM_ARGS, and
# SBATCH_ARGS for both sbatch calls, such as "--partition=cpu"); it prints the two job ids.
# The variables reach the jobs through the environment (--export=ALL), never through
# --export=NAME=VALUE, which splits at commas.
set -eu
: "${SCENARIO:?set SCENARIO to the scenario file}"
: "${SHARDS:?set SHARDS to the number of shards}"
: "${OUT:?set OUT to the folder the shards write into}"
export SCENARIO SHARDS OUT
here=$(dirname "$0")
# shellcheck disable=SC2086  # SBATCH_ARGS is a list of arguments on purpose
array=$(sbatch --parsable ${SBATCH_ARGS:-} --export=ALL --array="0-$((SHARDS - 1))" \
  "$here/slurm-array.sh")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --export=ALL --job-name=capsim-merge \
  --dependency="afterok:$array" --kill-on-invalid-dep=yes --wrap "sh $here/merge.sh")
echo "array $array"
echo "merge ${merge%%;*}"
