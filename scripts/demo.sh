#!/usr/bin/env bash
# The newcomer's demo: a real pool on a throwaway store, on this machine's GPUs when nvidia-smi works,
# else on the fake provider with one GPU taken by a live process outside any reservation.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=$(mktemp -d -t canhazgpu-demo-XXXX)
export CANHAZGPU_STORE="$demo/pool/state.db"
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

# The server on the same pool: a user, a key, and two GPUs reserved over HTTP that the CLI then sees.
export CANHAZGPU_ACCOUNTS="$demo/server.db"
echo 'a long demo password' | node dist/cli.js user add --email alice@example.com --password-stdin >/dev/null
key=$(node dist/cli.js apikey create --name demo --user alice@example.com 2>/dev/null)
# FAKE vast.ai and io.net on loopback (support/fake-*.ts), so the server's cloud side can be shown
# without keys or money: the cloud part below talks to these stand-ins, not to the real marketplaces.
node --import tsx scripts/demo-clouds.ts > "$demo/clouds.json" & clouds=$!
trap 'kill $clouds 2>/dev/null || true; kill ${hog:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/clouds.json" ] && break; sleep 0.1; done
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' "$demo/clouds.json" "$1"; }
VASTAI_API_KEY=demo-vast-key VASTAI_API_URL=$(field vast) IONET_API_KEY=demo-io-key IONET_API_URL=$(field ionet) \
  node dist/cli.js serve --http 127.0.0.1:0 --grpc off > "$demo/serve.log" 2>&1 & server=$!
trap 'kill $server $clouds 2>/dev/null || true; kill ${hog:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$demo/serve.log" | head -1 || true); [ -n "$url" ] && break; sleep 0.1; done
echo "# canhazgpu serve is listening on $url"
api() { # METHOD PATH [BODY]: one request, its status and JSON answer
  node -e '
    const [method, url, key, body] = process.argv.slice(1);
    fetch(url, { method, headers: { "x-api-key": key, "content-type": "application/json" }, body: body || undefined })
      .then(async (r) => console.log(r.status, JSON.stringify(await r.json())));' "$1" "$url$2" "$key" "${3:-}"
}
echo "\$ POST /api/v1/gpu/instances/reserve {\"count\": 2}"
reply=$(api POST /api/v1/gpu/instances/reserve '{"count": 2, "filters": {"provider": "local"}}')
echo "$reply"; echo
cli status
contract=$(echo "$reply" | grep -o '"contract_id":"[^"]*"' | head -1 | cut -d'"' -f4)
echo "\$ DELETE /api/v1/gpu/instances/local/$contract"
api DELETE "/api/v1/gpu/instances/local/$contract"; echo
# Cloud GPUs through the same server, from the FAKE marketplaces started above (labelled as such).
echo "# --- cloud: against FAKE vast.ai and io.net on loopback (no real marketplace, no money) ---"
export CANHAZGPU_SERVER="$url" CANHAZGPU_API_KEY="$key"
cli cloud offers --max-price 2
cli cloud reserve --count 2 --gpu-model "RTX 4090" --hours 2
cli cloud list
cloud_contract=$(node dist/cli.js cloud list --json | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).reservations.find((r)=>r.provider!=="local").contract_id))')
cli cloud destroy "$cloud_contract"
cli cloud reserve --count 1 --gpu-model H100 --num-gpus 8 --max-price 1
kill "$server" "$clouds"; wait "$server" 2>/dev/null || true
rm -rf "$demo"
