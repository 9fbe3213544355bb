#!/usr/bin/env bash
# The README's Slurm recipe (docs/multi-machine.md), run on a single-node Slurm: starts
# munge and a one-node cluster (slurmctld + slurmd as root, as design.md describes), submits
# the job-array ingest as written there (`--shard auto --out`, one store and one Parquet
# folder per task), then a merge job with --dependency=afterok on the array, and compares
# the merged store with one plain ingest of the same folder: the npz exports (ids and
# vectors) must be byte-identical.
#
#   bench/slurm.sh [IMAGES_DIR] [TASKS]      defaults: ../shared/data/dev-set/test 4
# Needs: root, Debian's slurm-wlm and munge (apt-get install slurm-wlm munge), go,
# ONNX Runtime (make ort). Weights: the repository's small test weights (VGG16 shape,
# 32× narrower), so that it runs in a minute on a laptop.
# What differs from the recipe: the node has no GPU and fewer than 8 cores, so the
# `#SBATCH --gres=gpu:1` and `--cpus-per-task=8` lines are left out; paths are under
# .bench/slurm instead of /scratch and /shared.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
images=$(readlink -f "${1:-../shared/data/dev-set/test}")
tasks=${2:-4}
work="$repo/.bench/slurm"; rm -rf "$work"; mkdir -p "$work"/{scratch,vectors,state,spool,log}
weights="$repo/embed/vgg/testdata/vgg16_w32_zip.pth"
make -s build
vecimg="$repo/vecimg"
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

# munge: a key, and the daemon.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
pgrep -x munged >/dev/null || munged --force

# A one-node cluster.
conf="$work/slurm.conf"
cat > "$conf" <<CONF
ClusterName=vecimg-bench
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
JobCompType=jobcomp/none
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=bench Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
stop() {
  [ -s "$work/slurmd.pid" ] && kill "$(cat "$work/slurmd.pid")" 2>/dev/null || true
  [ -s "$work/slurmctld.pid" ] && kill "$(cat "$work/slurmctld.pid")" 2>/dev/null || true
}
trap stop EXIT
slurmctld -c -f "$conf"
slurmd -f "$conf"
for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.2; done
sinfo

# The recipe, as docs/multi-machine.md writes it (paths and the two resource lines aside).
cat > "$work/ingest.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=vecimg-ingest
#SBATCH --array=0-$((tasks - 1))
#SBATCH --requeue                 # a pre-empted task starts again and resumes
#SBATCH --output=$work/log/ingest-%a.out
$vecimg --db "$work/scratch/shard-\$SLURM_ARRAY_TASK_ID.db" ingest \\
  --weights $weights --no-download \\
  --shard auto --out "$work/vectors/shard-\$SLURM_ARRAY_TASK_ID.parquet" $images
JOB
cat > "$work/merge.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=vecimg-merge
#SBATCH --output=$work/log/merge.out
$vecimg --db "$work/merged.db" merge $work/vectors/shard-*.parquet
JOB
array=$(sbatch --parsable "$work/ingest.sbatch")
merge=$(sbatch --parsable --dependency=afterok:"$array" "$work/merge.sbatch")
echo "submitted: array job $array ($tasks tasks), merge job $merge (--dependency=afterok:$array)"
for _ in $(seq 3000); do
  [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
  sleep 0.2
done
for i in $(seq 0 $((tasks - 1))); do echo "task $i: $(tail -n 3 "$work/log/ingest-$i.out" | tr '\n' ' ')"; done
echo "merge: $(cat "$work/log/merge.out" | tr '\n' ' ')"
[ -d "$work/merged.db" ] || { echo "SLURM CHECK FAILED: the merge job did not run"; exit 1; }

# One plain ingest of the same folder, and the comparison.
"$vecimg" --db "$work/plain.db" ingest -q --weights "$weights" --no-download "$images" >/dev/null
"$vecimg" --db "$work/plain.db" export --out "$work/plain.npz" >/dev/null
"$vecimg" --db "$work/merged.db" export --out "$work/merged.npz" >/dev/null
n=$("$vecimg" --db "$work/merged.db" info --json | awk -F'[:,]' '/"count"/ {gsub(/ /,"",$2); print $2}')
if cmp -s "$work/plain.npz" "$work/merged.npz"; then
  echo "plain ingest vs Slurm array + merge: $n records; npz exports (ids, vectors) byte-identical"
  echo "SLURM CHECK PASSED"
else
  echo "SLURM CHECK FAILED: the npz exports differ"; exit 1
fi
