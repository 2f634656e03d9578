#!/usr/bin/env bash
# Fuzz one target for as long as asked: scripts/fuzz.sh [onnx|npy|image|cli] [DURATION|ITERATIONS] [SEED]
#   DURATION: 90s, 30m, 2h (a plain number is a count of iterations); default 60s, target onnx, seed 1.
# Prints progress, then iterations/s and the counts by outcome label; inputs that failed go to out/fuzz/TARGET
# (LABEL-HASH.bin with a .txt holding the exception). Single-threaded and niced (the machine is shared); the managed
# heap is capped at 4 GiB (FUZZ_HEAP_LIMIT) so that a runaway allocation is an OutOfMemoryException finding, not a
# swapping machine. A hang (>5 s) ends a run after saving its input; a process death saves the input that was running
# (out/fuzz/current-TARGET.bin); either way the script reports it and restarts with the next seed for the time left.
# Exit status 0 when nothing was found.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-onnx}
amount=${2:-60s}
seed=${3:-1}
out=${FUZZ_OUT:-out/fuzz}
case "$amount" in
  *s) budget=(--seconds "${amount%s}") ;;
  *m) budget=(--seconds "$(( ${amount%m} * 60 ))") ;;
  *h) budget=(--seconds "$(( ${amount%h} * 3600 ))") ;;
  *[!0-9]*|'') echo "fuzz.sh: '$amount' is neither a duration (90s, 30m, 2h) nor a number of iterations" >&2; exit 2 ;;
  *) budget=(--iterations "$amount") ;;
esac
dotnet build tests/VulkanCnn.Fuzz -c Release -v quiet -nologo >/dev/null
dll=tests/VulkanCnn.Fuzz/bin/Release/net10.0/VulkanCnn.Fuzz.dll
mkdir -p "$out"
export DOTNET_GCHeapHardLimit=${FUZZ_HEAP_LIMIT:-0x100000000} DOTNET_gcServer=0
cpu=$(( $(nproc) - 1 ))
status=0
start=$(date +%s)
while :; do
  set +e
  nice -n 10 taskset -c "$cpu" dotnet "$dll" fuzz "$target" "${budget[@]}" --seed "$seed" --out "$out" --progress 30
  rc=$?
  set -e
  case $rc in
    0) break ;;
    1) status=1; break ;;                                   # findings, saved
    3) status=1; echo "fuzz.sh: a hang ended the run with seed $seed" ;;
    *) status=1; echo "fuzz.sh: the fuzzer died (exit $rc) with seed $seed; its input:"
       dotnet "$dll" salvage "$target" "$out" ;;
  esac
  # Restart for the time left (durations only; an iteration budget restarts in full with the next seed).
  if [ "${budget[0]}" = --seconds ]; then
    left=$(( ${budget[1]} - ($(date +%s) - start) ))
    [ "$left" -gt 5 ] || break
    budget=(--seconds "$left")
  fi
  seed=$(( seed + 1 ))
done
exit $status
