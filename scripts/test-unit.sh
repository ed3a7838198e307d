#!/usr/bin/env bash
# `npm run test:unit`: the in-process tests beside the code (src/**/*.test.ts), without building. Tests of
# the built CLI (test/) and of the built stand-in nvidia-smi wait for `npm test`; the Redis store's want
# redis-server on PATH (which `npm test` installs).
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 20's runner does not expand globs: list the files. *.case.test.ts are suites other files run.
mapfile -t files < <(find src -name '*.test.ts' ! -name '*.case.test.ts' | sort)
exec node --import tsx --test --test-concurrency="$(nproc)" --test-timeout=60000 --test-force-exit "${files[@]}"
