#!/bin/bash
# A capsim sweep as a Slurm job array: one task per shard, then a dependent merge.
#
#   sbatch --export=ALL,SCENARIO=$PWD/scenarios/min-nodes.toml,OUT=$PWD/output/sweep \
#          scenarios/shards/slurm-array.sh
#   # when the array has finished (or: sbatch --dependency=afterok:<jobid> ...):
#   SHARDS=8 OUT=$PWD/output/sweep scenarios/shards/merge.sh
#
#SBATCH --job-name=capsim-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=01:00:00
set -euo pipefail
export SHARDS="${SLURM_ARRAY_TASK_COUNT:-8}"
# sbatch runs a copy of this script from its spool folder: find shard.sh from where it was
# submitted (the repository root, as in the example above).
exec "${SHARD_SH:-${SLURM_SUBMIT_DIR:-.}/scenarios/shards/shard.sh}"
