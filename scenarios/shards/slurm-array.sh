#!/bin/bash
# A capsim sweep as a Slurm job array: one task per shard. slurm-submit.sh submits it with the
# dependent merge; by hand, from the repository root (8 shards, as --array below says):
#
#   export SCENARIO=$PWD/scenarios/min-nodes.toml OUT=$PWD/output/sweep
#   export CAPSIM_ARGS="--sweep compute.gpu-cluster.min_instances=0,1,2"   # optional
#   jid=$(sbatch --parsable --export=ALL scenarios/shards/slurm-array.sh)
#   sbatch --dependency=afterok:$jid --kill-on-invalid-dep=yes --export=ALL,SHARDS=8 \
#          --job-name=capsim-merge --wrap "sh scenarios/shards/merge.sh"
#
# Set variables in the environment and pass --export=ALL: sbatch --export=NAME=VALUE,... splits
# its list at commas, so "--export=ALL,CAPSIM_ARGS=--sweep x=2,3,4" would give every shard
# "--sweep x=2". --kill-on-invalid-dep=yes cancels the merge when a shard fails, rather than
# leaving it pending for ever.
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
