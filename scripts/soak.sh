#!/usr/bin/env bash
# Long soak of the frame pipeline: N frames (default 100,000) of a 512x384 photograph through FramePipeline running
# BlazeFace front and PP-OCRv4 detection, each on a context of its own, printing device-memory blocks and bytes, the
# managed heap (after a full GC), managed bytes allocated per frame and the process RSS at 20 intervals.
# PASS when, after warm-up (a tenth of the frames, at most 2,000), device blocks and bytes stay exactly constant,
# the managed heap stays within 1 MiB and RSS within max(32 MiB, 5 %) of their end-of-warm-up values; exit 1 on FAIL.
#
#   scripts/soak.sh [FRAMES] [blazeface|ppocr-det|all]      e.g. scripts/soak.sh 20000 blazeface
#
# Device: VULKANCNN_TEST_DEVICE (default swiftshader; llvmpipe is faster). The validation layer is off unless
# VULKANCNN_TEST_VALIDATION=1 (it keeps its own per-object state and slows every frame). CI keeps the short soaks
# (FramePipelineSoakTests, SoakTests, ViewerLeakTests).
set -euo pipefail
cd "$(dirname "$0")/.."
FRAMES=${1:-100000}
MODEL=${2:-all}
[[ "$FRAMES" =~ ^[0-9]+$ && "$FRAMES" -gt 0 ]] || { echo "usage: scripts/soak.sh [FRAMES] [blazeface|ppocr-det|all]" >&2; exit 2; }
case "$MODEL" in
    all) FILTER="FullyQualifiedName~FramePipelineLongSoak" ;;
    blazeface|ppocr-det) FILTER="FullyQualifiedName~FramePipelineLongSoak&Name~$MODEL" ;;
    *) echo "unknown model '$MODEL' (blazeface, ppocr-det, all)" >&2; exit 2 ;;
esac
dotnet build tests/VulkanCnn.Tests -c Release -nologo -v q -clp:ErrorsOnly
export VULKANCNN_SOAK_FRAMES=$FRAMES VULKANCNN_TEST_VALIDATION=${VULKANCNN_TEST_VALIDATION:-0}
set +e
dotnet test tests/VulkanCnn.Tests -c Release --no-build -nologo --filter "$FILTER" --logger "console;verbosity=detailed" 2>&1 |
    grep -E "^ *(soak:|frame|[0-9,]+ +[0-9]+ |criterion|SOAK|Passed|Failed|Error Message)|Assert" 
rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] && echo "soak: PASS" || echo "soak: FAIL (exit $rc)"
exit $rc
