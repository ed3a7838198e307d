#!/usr/bin/env bash
# Records real nvidia-smi outputs, in the exact query forms canhazgpu uses, as parser fixtures.
# Usage: scripts/record-nvidia-smi.sh OUTDIR   (run on a machine with an NVIDIA GPU and python3+torch)
set -u
out=${1:?usage: record-nvidia-smi.sh OUTDIR}
mkdir -p "$out"
GPU_Q=index,uuid,name,memory.used,memory.total
APP_Q=gpu_uuid,pid,process_name,used_memory
cap() { # name, then the command; keeps stdout, stderr and the exit code apart
  local name=$1; shift
  "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"; echo $? >"$out/$name.rc"
}
{
  nvidia-smi --version; uname -a; id
} >"$out/env.txt" 2>&1
cap smi-L nvidia-smi -L
cap gpu-idle-noheader nvidia-smi --query-gpu=$GPU_Q --format=csv,noheader,nounits
cap gpu-idle-header nvidia-smi --query-gpu=$GPU_Q --format=csv
cap apps-idle-noheader nvidia-smi --query-compute-apps=$APP_Q --format=csv,noheader,nounits
cap apps-idle-header nvidia-smi --query-compute-apps=$APP_Q --format=csv
cap bad-field nvidia-smi --query-gpu=index,no_such_field --format=csv,noheader,nounits
# Two GPU processes: one plain python3, one started through a path with a space and a comma in it.
mkdir -p "/tmp/my model, v2"
ln -sf "$(command -v python3)" "/tmp/my model, v2/serve"
HOLD='import torch,time,sys; x=torch.empty(int(sys.argv[1])*2**20, dtype=torch.uint8, device="cuda"); torch.cuda.synchronize(); print("ready", flush=True); time.sleep(40)'
python3 -c "$HOLD" 2048 --model org/Some-Model-7B >"$out/hold1.log" 2>&1 &
p1=$!
"/tmp/my model, v2/serve" -c "$HOLD" 1536 >"$out/hold2.log" 2>&1 &
p2=$!
for i in $(seq 1 60); do grep -q ready "$out/hold1.log" && grep -q ready "$out/hold2.log" && break; sleep 0.5; done
cap gpu-busy-noheader nvidia-smi --query-gpu=$GPU_Q --format=csv,noheader,nounits
cap gpu-busy-header nvidia-smi --query-gpu=$GPU_Q --format=csv
cap apps-busy-noheader nvidia-smi --query-compute-apps=$APP_Q --format=csv,noheader,nounits
cap apps-busy-header nvidia-smi --query-compute-apps=$APP_Q --format=csv
for p in $p1 $p2; do
  { echo "== $p"; grep -E '^(Name|Uid|Pid)' /proc/$p/status; tr '\0' ' ' </proc/$p/cmdline; echo; } >>"$out/procs.txt" 2>&1
done
# How long one query takes, five times each.
TIMEFORMAT='%R s'
for i in 1 2 3 4 5; do { time nvidia-smi --query-gpu=$GPU_Q --format=csv,noheader,nounits >/dev/null; } 2>>"$out/timing.txt"; done
kill $p1 $p2; wait
ls -la "$out"
