#!/usr/bin/env bash
# Set-up, build and the whole test suite (GPU tests on SwiftShader with the validation layer on).
# VULKANCNN_TEST_DEVICE=llvmpipe (or a GPU name) runs them on another device.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
dotnet test VulkanCnn.sln -c Release 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# One plain summary line: N passed, N failed, N skipped.
summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -1)
if [ -n "$summary" ]; then
  f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary"); p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary"); s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
  echo "tests: $p passed, $f failed, $s skipped"
fi
rm -f "$log"
exit $rc
