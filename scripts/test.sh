#!/usr/bin/env bash
# `npm test`: installs the system tools the tests need when missing, builds, runs every test file.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v script >/dev/null || need_apt+=(bsdutils)
command -v setpriv >/dev/null || need_apt+=(util-linux)
command -v redis-server >/dev/null || need_apt+=(redis-server)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# The NVML tests compile a stub libnvidia-ml.so.1 (test/fixtures/nvml-stub/).
command -v gcc >/dev/null || need_apt+=(build-essential)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing ${need_apt[*]}..."
  # As root no sudo; `env` sets the variable either way (a bare assignment after an empty $SUDO is a command name).
  as_root=(); [ "$(id -u)" -ne 0 ] && as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

[ -d node_modules ] || npm ci
# The committed gRPC code must be what buf makes of proto/ today.
npm run --silent generate
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- src/gen; then
  echo "src/gen differs from 'npm run generate': commit the regenerated code" >&2
  git --no-pager diff --stat -- src/gen >&2
  exit 1
fi
npm run --silent typecheck
# One formatter and linter: CI fails on drift (`npm run format` fixes what it can).
npm run --silent lint
npm run --silent build

# Node 20's runner does not expand globs: list the files. *.case.test.ts are suites other files run.
mapfile -t files < <(find src test -name '*.test.ts' ! -name '*.case.test.ts' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
node --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=240000 --test-force-exit "${files[@]}" 2>&1 | tee "$log"
grep -qE '^ℹ tests [1-9]' "$log" || { echo "no tests ran" >&2; exit 1; }
