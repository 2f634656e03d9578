#!/usr/bin/env bash
# Mutation testing: plausible one-line bugs in shaders and C#, applied one at a time to a temporary copy of the tree
# (the working tree is never modified), each followed by the tests that should catch it. A mutant is KILLED when
# those tests fail, SURVIVED when they pass (a test is missing), NOCOMPILE when the build rejects it (not counted).
# Prints one line per mutant and the mutation score, killed / (killed + survived); exit 1 when a mutant survives.
#
#   scripts/mutate.sh                 all mutants
#   scripts/mutate.sh softmax dense   mutants whose name contains one of the words
#   scripts/mutate.sh --list          the mutants, their files and filters
#
# Run it before closing an issue that touches kernels. About a minute per mutant on 2 cores (an incremental build and
# the filtered tests on SwiftShader); VULKANCNN_TEST_VALIDATION=0 makes the test runs quicker.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# name ^ file ^ exact text (must occur once) ^ replacement ^ dotnet test filter
MUTANTS=$(cat <<'EOF'
softmax-rows-no-max^shaders/softmax.comp^        m = red[0];^        m = 0.0;^FullyQualifiedName~SoftmaxLargeLogitsTests
softmax-pixels-no-max^shaders/softmax.comp^    for (int c = 0; c < p.C; c++) m = max(m, x[b + c * p.inner]);^    m = 0.0;^FullyQualifiedName~SoftmaxLargeLogitsTests
preprocess-rgba-bgra-as-rgba^shaders/preprocess.comp^    return FORMAT == 1 ? c.bgr : c;^    return c;^FullyQualifiedName~FramePreprocessorTests
depthwise-bias-by-input-channel^shaders/depthwise_conv2d.comp^    float b = bias[k];^    float b = bias[c];^FullyQualifiedName~DepthwiseMultiplierTests
conv-reflect-as-symmetric^shaders/conv2d.comp^        return m < n ? m : period - m;^        return m < n ? m : period - m - 1;^FullyQualifiedName~Conv2dTests
maxpool-nan-dropped^shaders/pool2d.comp^            m = maxNaN(m, v);^            m = max(m, v);^FullyQualifiedName~NanPropagationTests
sigmoid-sign^shaders/activation.glsl^    if (ACT == 4) return 1.0 / (1.0 + exp(-v));^    if (ACT == 4) return 1.0 / (1.0 + exp(v));^FullyQualifiedName~ElementwiseTests
dense-fourth-row-bias^shaders/dense.comp^y[yb + k + 3] = activate(s3 + bias[k + 3]);^y[yb + k + 3] = activate(s3 + bias[k + 2]);^FullyQualifiedName~DenseTests
upsample-half-pixel-as-asymmetric^shaders/upsample.comp^    return (float(o) + 0.5) / scale - 0.5;^    return float(o) / scale;^FullyQualifiedName~UpsampleTests
winograd-output-sign^shaders/winograd_output.comp^y01 = r0.y - r0.z - r0.w + b;^y01 = r0.y - r0.z + r0.w + b;^FullyQualifiedName~WinogradTests
nms-iou-threshold-doubled^shaders/nms.comp^iouOf(best, boxOf(sId[i])) > p.iou)^iouOf(best, boxOf(sId[i])) > 2.0 * p.iou)^FullyQualifiedName~BlazeFaceTaskTests
batchnorm-no-epsilon^src/VulkanCnn/Layers/BatchNorm.cs^Math.Sqrt((double)Variance[i] + Epsilon)^Math.Sqrt((double)Variance[i])^FullyQualifiedName~BatchNormTests|FullyQualifiedName~OptimizerTests
planner-touching-lifetimes-share^src/VulkanCnn/Graph/MemoryPlanner.cs^items[j].First <= it.Last && it.First <= items[j].Last^items[j].First < it.Last && it.First < items[j].Last^FullyQualifiedName~MemoryPlannerTests|FullyQualifiedName~SessionTests
barrier-write-after-read-ignored^src/VulkanCnn/Vulkan/Recording.cs^s.Offset < p.End && (p.Write || w))^s.Offset < p.End && p.Write)^FullyQualifiedName~Graph|FullyQualifiedName~Layers.Conv2dTests
letterbox-offset-sign^src/VulkanCnn/Vision/FramePreprocessor.cs^ToFrame(float x, float y) => ((x - OffsetX) / ScaleX, (y - OffsetY) / ScaleY);^ToFrame(float x, float y) => ((x + OffsetX) / ScaleX, (y - OffsetY) / ScaleY);^FullyQualifiedName~BlazeFaceTaskTests|FullyQualifiedName~FramePreprocessorTests
guard-any-thread-reenters^src/VulkanCnn/Core/ExclusiveUse.cs^        if (inside == me) return default;^        if (inside != 0) return default;^FullyQualifiedName~ExclusiveUseTests|FullyQualifiedName~SessionThreadingTests
context-keeps-disposed-children^src/VulkanCnn/Vulkan/VulkanContext.Lifetime.cs^            if (node.List == _children) _children.Remove(node);^            if (node.List == null) _children.Remove(node);^FullyQualifiedName~ContextLifetimeTests
vkcheck-ignores-device-errors^src/VulkanCnn/Vulkan/VkCheck.cs^        if (result >= Result.Success) return;^        if (result >= Result.ErrorDeviceLost) return;^FullyQualifiedName~DeviceFaultTests
EOF
)

if [[ "${1:-}" == "--list" ]]; then
    printf '%s\n' "$MUTANTS" | awk -F'^' '{ printf "%-36s %-48s %s\n", $1, $2, $5 }'
    exit 0
fi
SELECT=("$@")

WORK=$(mktemp -d /tmp/vcnn-mutate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Tracked and untracked-but-not-ignored files as they are in the working tree (uncommitted edits included).
git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$WORK"
[[ -e "$ROOT/.cache" ]] && ln -sfn "$(readlink -f "$ROOT/.cache")" "$WORK/.cache"
cd "$WORK"

build() { dotnet build tests/VulkanCnn.Tests -c Release -nologo -v q -clp:ErrorsOnly >"$WORK/build.log" 2>&1; }
runtests() { timeout 900 dotnet test tests/VulkanCnn.Tests -c Release --no-build -nologo --filter "$1" >"$WORK/test.log" 2>&1; }

selected() {
    [[ ${#SELECT[@]} -eq 0 ]] && return 0
    for w in "${SELECT[@]}"; do [[ "$1" == *"$w"* ]] && return 0; done
    return 1
}

echo "mutation testing in $WORK ($(printf '%s\n' "$MUTANTS" | wc -l) mutants defined)"
echo "baseline: building the unmutated copy..."
build || { cat "$WORK/build.log"; echo "FAIL: the unmutated tree does not build"; exit 2; }
# The baseline: every selected mutant's tests pass on the unmutated code, or a kill would prove nothing.
union=$(while IFS='^' read -r name _ _ _ filter; do selected "$name" && echo "$filter"; done <<<"$MUTANTS" | sort -u | paste -sd'|')
echo "baseline: running the mutants' tests on the unmutated copy..."
runtests "$union" || { tail -30 "$WORK/test.log"; echo "FAIL: the mutants' tests fail without any mutant"; exit 2; }

killed=0; survived=0; broken=0; survivors=()
while IFS='^' read -r name file from to filter; do
    selected "$name" || continue
    cp "$file" "$WORK/original"
    MUT_FROM="$from" MUT_TO="$to" python3 - "$file" <<'PY'
import os, sys
p = sys.argv[1]; s = open(p).read(); a = os.environ["MUT_FROM"]; b = os.environ["MUT_TO"]
n = s.count(a)
if n != 1: sys.exit(f"mutant text occurs {n} times in {p} (expected once): the script is out of date: {a!r}")
open(p, "w").write(s.replace(a, b))
PY
    t0=$SECONDS
    if ! build; then
        verdict=NOCOMPILE; broken=$((broken + 1))
    elif runtests "$filter"; then
        verdict=SURVIVED; survived=$((survived + 1)); survivors+=("$name")
    else
        verdict=KILLED; killed=$((killed + 1))
        grep -m1 -E "^\s+Failed [A-Za-z]" "$WORK/test.log" | sed 's/^ */    by /' || true
    fi
    cp "$WORK/original" "$file"
    printf '%-10s %-36s %4ds  %s\n' "$verdict" "$name" $((SECONDS - t0)) "$filter"
done <<<"$MUTANTS"

total=$((killed + survived))
[[ $total -eq 0 ]] && { echo "no mutant selected"; exit 2; }
echo "mutation score: $killed / $total killed ($((100 * killed / total)) %), $broken did not compile"
if [[ $survived -gt 0 ]]; then echo "SURVIVED: ${survivors[*]}"; exit 1; fi
