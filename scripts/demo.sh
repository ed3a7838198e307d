#!/usr/bin/env bash
# The newcomer's demo: a real pool on a throwaway store, on this machine's GPUs when nvidia-smi works,
# else on the fake provider with one GPU taken by a live process outside any reservation.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=$(mktemp -d -t canhazgpu-demo-XXXX)
export CANHAZGPU_STORE="$demo/state.db"
if ! nvidia-smi -L >/dev/null 2>&1; then
  export CANHAZGPU_PROVIDER=fake CANHAZGPU_FAKE_GPUS="$demo/gpus.json"
  sleep 600 & hog=$!
  trap 'kill $hog 2>/dev/null || true' EXIT
  node -e '
    const gpus = Array.from({ length: 8 }, () => ({ memory_used_mib: 4 }));
    gpus[2] = { processes: [{ pid: Number(process.argv[1]), name: "/usr/bin/python3", used_memory_mib: 6144,
      cmdline: ["vllm", "serve", "mistralai/Mistral-7B-Instruct-v0.1"] }] };
    require("fs").writeFileSync(process.argv[2], JSON.stringify({ gpus }));' "$hog" "$CANHAZGPU_FAKE_GPUS"
  echo "# No NVIDIA GPU here: using the fake provider ($CANHAZGPU_FAKE_GPUS)."
fi
cli() { echo "\$ canhazgpu $*"; node dist/cli.js "$@" 2>&1 || true; echo; }
count=8
[ "${CANHAZGPU_PROVIDER:-}" = fake ] || count=$(nvidia-smi -L | grep -c '^GPU ')
cli admin --gpus "$count"
cli reserve --gpus 2 --duration 4h
cli run --gpus 1 -- sh -c 'echo "child sees CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"'
cli status
cli status --table
cli reserve --gpus 8
cli release
rm -rf "$demo"
