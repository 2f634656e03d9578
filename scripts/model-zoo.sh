#!/usr/bin/env bash
# The model zoo: installs Debian's PyTorch and torchvision when missing and exports ShuffleNetV2, ConvNeXt,
# MobileNetV3 and the other models of scripts/export_zoo.py as ONNX into the git-ignored .cache/zoo/ (never commit
# them), for tests/VulkanCnn.Tests/Onnx/ModelZooTests.cs. Idempotent: models already exported by the same script and
# PyTorch are kept. Extra arguments go to export_zoo.py (--force, --only NAME...). See docs/model-zoo.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's packages install into the system interpreter's dist-packages; a python3 earlier on PATH (pyenv, venv)
# would not see them.
PY=/usr/bin/python3

need=()
for pkg in python3 python3-torch python3-torchvision python3-pil; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "model-zoo: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The sample photographs calibrate the BatchNorm statistics (scripts/setup.sh fetches them; noise otherwise).
[ -f .cache/images/chelsea.png ] || echo "model-zoo: .cache/images missing (scripts/setup.sh fetches the photographs); calibrating on noise"

mkdir -p .cache/zoo
# The exporter's own messages matter; PyTorch's tracer warnings (shape values turned into constants: intended,
# the shapes are fixed) do not.
PYTHONWARNINGS=ignore "$PY" scripts/export_zoo.py .cache/zoo "$@"
ls -1 .cache/zoo/*.onnx | sed 's/^/model-zoo: /'
