#!/usr/bin/env bash
# Before/after speed of two builds of vcnn, run alternately in one session on the same device (the project's rule for
# a speed claim): prints "device model side min-wall-ms median-wall-ms" per invocation, ROUNDS rounds each.
#   BASE=path/to/old/vcnn NEW=path/to/new/vcnn scripts/bench-compare.sh [llvmpipe swiftshader]
# Build the old side in a worktree: git worktree add /tmp/base COMMIT && (cd /tmp/base && ln -s "$PWD/.cache" .cache
# && dotnet build src/VulkanCnn.Cli -c Release); then BASE=/tmp/base/src/VulkanCnn.Cli/bin/Release/net10.0/vcnn.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to the old vcnn}" "${NEW:=src/VulkanCnn.Cli/bin/Release/net10.0/vcnn}" "${ROUNDS:=2}"
M=.cache/models
devices=("$@"); [ ${#devices[@]} -eq 0 ] && devices=(llvmpipe swiftshader)
for dev in "${devices[@]}"; do
  for model in ${MODELS:-resnet18 blazeface ppocr mobilenetv2 mobilenetv3 vgg16}; do
    case $model in
      blazeface) args="$M/blazeface/ONNX/face_detection_front_128x128_barracuda.onnx --runs 10";;
      ppocr) args="$M/ocr/assets/ch_PP-OCRv4_det_infer.onnx --input-shape x=1,3,480,640 --runs 5";;
      mobilenetv2) [ -f .cache/zoo/mobilenet_v2.onnx ] || continue; args=".cache/zoo/mobilenet_v2.onnx --runs 10";;
      mobilenetv3) [ -f .cache/zoo/mobilenet_v3_small.onnx ] || continue; args=".cache/zoo/mobilenet_v3_small.onnx --runs 10";;
      *) args="$model --runs 5 --no-peak";;
    esac
    for r in $(seq "$ROUNDS"); do
      for side in base new; do
        bin=$BASE; [ $side = new ] && bin=$NEW
        out=$($bin bench $args --device "$dev" 2>&1)
        v=$(sed -nE 's/.*wall min ([0-9.]+) ms, median ([0-9.]+) ms.*/\1 \2/p' <<<"$out" | head -1)
        [ -z "$v" ] && v=$(awk '$1=="VulkanCnn" && $2 ~ /^[0-9.]+$/ {print $2, $3}' <<<"$out")
        echo "$dev $model $side ${v:-ERR}"
      done
    done
  done
done
