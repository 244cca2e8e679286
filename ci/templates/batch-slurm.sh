#!/usr/bin/env bash
# Grading a whole class on a Slurm cluster: a job array of N shards, each running
# `forklab batch --shard I/N` into its own folder, and a merge job that starts when they all
# have ended (afterany: a failed shard still leaves its folder, and merge then says which
# submissions are missing).
#
#   ci/templates/batch-slurm.sh SUBMISSIONS OUT [N]     # on the login node: submits both jobs
#
# OUT must be on a file system every node sees. forklab is built once (ci/build) in a checkout
# the nodes share; FORKLAB overrides where its executable is.
#SBATCH --job-name=forklab-batch
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
#SBATCH --output=%x-%A_%a.log
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
forklab=${FORKLAB:-$here/build/grader/forklab}

if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  # One array task: the shard of the task's index (1..N).
  submissions=$1 out=$2 count=$3
  status=0
  "$forklab" batch "$submissions" --out "$out/shard-$SLURM_ARRAY_TASK_ID" \
    --shard "$SLURM_ARRAY_TASK_ID/$count" --jobs "${SLURM_CPUS_PER_TASK:-1}" || status=$?
  # 1: some submissions could not be graded; they are recorded, the shard is done.
  [ "$status" -le 1 ]
elif [ "${1:-}" = --merge ]; then
  out=$2
  "$forklab" merge "$out"/shard-* --out "$out/class"
else
  [ $# -ge 2 ] || { echo "usage: $0 SUBMISSIONS OUT [SHARDS]" >&2; exit 2; }
  submissions=$(realpath "$1") out=$(realpath -m "$2") count=${3:-8}
  mkdir -p "$out"
  array=$(sbatch --parsable --array="1-$count" "$0" "$submissions" "$out" "$count")
  array=${array%%;*}
  sbatch --parsable --dependency="afterany:$array" --job-name=forklab-merge \
    --output="$out/merge-%j.log" "$0" --merge "$out"
  echo "submitted the array $array ($count shards) and its merge job; the gradebook goes to $out/class"
fi
