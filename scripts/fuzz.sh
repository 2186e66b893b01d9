#!/usr/bin/env bash
# Fuzzes the frame decoder and the connection state machines with libFuzzer for a bounded
# time, then the services' APIs (ordp-fuzz-api: every method, mutated requests, every kind of
# caller) for as long, with a fresh seed. Usage: scripts/fuzz.sh [SECONDS] (default 60).
# Crashes and failing inputs land in fuzz-artifacts/ (the API fuzzer's in fuzz-artifacts/api,
# replayable with ordp-fuzz-api --corpus fuzz-artifacts/api).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
seconds="${1:-60}"
scratch=.build-fuzz
# (gold warns once per ASan helper symbol that it cannot export it: harmless, filtered)
swift build --scratch-path "$scratch" --product ordp-fuzz-frames \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DORDP_FUZZING 2>&1 |
  { grep -v "Cannot export local symbol" || true; }
bin="$(swift build --scratch-path "$scratch" --show-bin-path)/ordp-fuzz-frames"
mkdir -p fuzz-artifacts "$scratch/corpus"
cp Fuzz/corpus/frames/* "$scratch/corpus/"
"$bin" -max_total_time="$seconds" -max_len=4096 -artifact_prefix=fuzz-artifacts/ \
  -print_final_stats=1 "$scratch/corpus" 2>&1 | tail -15

swift build --product ordp-fuzz-api >/dev/null
seed="$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
echo "ordp-fuzz-api: ${seconds} s, seed ${seed}"
"$(swift build --show-bin-path)/ordp-fuzz-api" --corpus Fuzz/corpus/api --seconds "$seconds" \
  --seed "$seed"
