#!/usr/bin/env bash
# The CLI against a real nvidia-smi and a real GPU process, on a machine with an NVIDIA GPU.
# Expects .devcarry/ (node.xz, node_modules/better-sqlite3 and its two deps, dist/) beside it; writes
# what it saw to $1 (default: ./device-out).
set -u
out=${1:-device-out}; mkdir -p "$out"
root=$(pwd)
xz -dc .devcarry/node.xz > /tmp/node && chmod +x /tmp/node
rm -rf /tmp/app && mkdir -p /tmp/app && cp -r .devcarry/node_modules .devcarry/dist /tmp/app/
cd /tmp/app
rm -rf /tmp/chg; export CANHAZGPU_STORE=/tmp/chg/state.db
chg() { echo "\$ canhazgpu $*"; /tmp/node dist/cli.js "$@" 2>&1; echo "[exit $?]"; }
HOLD='import torch,time,sys; x=torch.empty(int(sys.argv[1])*2**20, dtype=torch.uint8, device="cuda"); torch.cuda.synchronize(); print("ready", flush=True); time.sleep(60)'
{
  nvidia-smi --version | head -1
  chg admin --gpus "$(nvidia-smi -L | grep -c '^GPU ')"
  chg status
  echo "## a GPU process outside any reservation"
  python3 -c "$HOLD" 2048 --model org/Some-Model-7B > /tmp/hog.log 2>&1 &
  hog=$!
  for i in $(seq 1 60); do grep -q ready /tmp/hog.log && break; sleep 0.5; done
  nvidia-smi --query-compute-apps=gpu_uuid,pid,process_name,used_memory --format=csv,noheader,nounits > "$out/apps-unreserved-hog.txt"
  cat "$out/apps-unreserved-hog.txt"
  chg status
  chg status --table
  chg status --json
  chg reserve
  chg run -- true
  chg release
  kill $hog; wait $hog 2>/dev/null
  sleep 1
  echo "## run: the command sees its GPU and status shows the run with its real memory"
  chg run --gpus 1 -- python3 -c "
import os, subprocess, torch
print('CUDA_VISIBLE_DEVICES', os.environ['CUDA_VISIBLE_DEVICES'], os.environ['CUDA_DEVICE_ORDER'], torch.cuda.device_count(), torch.cuda.get_device_name(0))
x = torch.empty(2**31, dtype=torch.uint8, device='cuda'); torch.cuda.synchronize()
print(subprocess.run(['/tmp/node', 'dist/cli.js', 'status'], capture_output=True, text=True).stdout, end='')
raise SystemExit(3)"
  chg status
  echo "## run killed outright (SIGKILL) while its PyTorch command, still under 1 GB, lives on"
  /tmp/node dist/cli.js run --gpus 1 -- python3 -c "$HOLD" 256 > /tmp/run.log 2>&1 &
  runner=$!
  for i in $(seq 1 60); do grep -q ready /tmp/run.log && break; sleep 0.5; done
  kill -9 $runner; wait $runner 2>/dev/null
  orphan=$(pgrep -f 'time.sleep\(60\)' | head -1)
  echo "run (pid $runner) killed; its command (pid $orphan) lives on"
  nvidia-smi --query-compute-apps=gpu_uuid,pid,process_name,used_memory --format=csv,noheader,nounits
  chg status
  chg reserve
  kill $orphan; sleep 1
  echo "## the command ended"
  chg status
  chg reserve --duration 1m
  chg release
  echo "## timings (s)"
  TIMEFORMAT='%R'
  for i in 1 2 3 4 5; do { time /tmp/node dist/cli.js status >/dev/null; } 2>&1; done | tr '\n' ' '; echo
  for i in 1 2 3 4 5; do { time /tmp/node -e 0; } 2>&1; done | tr '\n' ' '; echo
} 2>&1 | tee "$out/session.txt"
