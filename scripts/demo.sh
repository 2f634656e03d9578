#!/usr/bin/env bash
# Set-up, build and the demo: the notes' classical filters and a small network on a photograph.
# Images are written to out/demo; a table of sizes and timings is printed. Then the viewer (samples/Viewer) runs
# headless, on the best Vulkan device: faces on the astronaut photograph and on a short clip made from it (with the
# fps/latency HUD drawn in), text detection on page.png and the page read by OCR (vcnn ocr), line segments on camera.png and a Sobel view. Its live window
# mode (--window) needs a display; the last lines print the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/VulkanCnn.Cli -c Release -v quiet -nologo >/dev/null
dotnet build samples/Viewer -c Release -v quiet -nologo >/dev/null
src/VulkanCnn.Cli/bin/Release/net10.0/vcnn demo --out out/demo "$@"

viewer=samples/Viewer/bin/Release/net10.0/VulkanCnn.Viewer
run_viewer() { echo "\$ viewer $*"; "$viewer" "$@"; }
echo
echo "== viewer (headless): every vision task through the frame pipeline, annotated on the GPU"
# Faces on the photograph.
run_viewer --source .cache/images/astronaut.png --model blazeface --output out/demo/faces.png --detections out/demo/faces.json
# A 2-second clip: the photograph slowly zoomed in, so the face moves and grows; drawn with the fps/latency HUD.
ffmpeg -hide_banner -loglevel error -y -loop 1 -i .cache/images/astronaut.png \
    -vf "scale=320:320,zoompan=z='1+0.004*on':d=60:s=320x320" -frames:v 60 -pix_fmt yuv420p out/demo/clip.mp4
run_viewer --source out/demo/clip.mp4 --model blazeface --output out/demo/faces.mp4 --detections out/demo/faces-clip.json --hud
# Text lines (PP-OCRv4 det: mask and boxes), line segments (M-LSD tiny), Sobel edges.
run_viewer --source .cache/images/page.png --model ppocr-det --output out/demo/text.png --detections out/demo/text.json
echo "\$ vcnn ocr .cache/images/page.png --models .cache/models/ocr/assets --json out/demo/page-text.json"
src/VulkanCnn.Cli/bin/Release/net10.0/vcnn ocr .cache/images/page.png --models .cache/models/ocr/assets --json out/demo/page-text.json
run_viewer --source .cache/images/camera.png --model mlsd --output out/demo/lines.png --detections out/demo/lines.json
run_viewer --source .cache/images/astronaut.png --model sobel --output out/demo/sobel.png
echo
echo "viewer outputs (open them):"
echo "  faces on a photo:    out/demo/faces.png, out/demo/faces.json"
echo "  faces on a video:    out/demo/clip.mp4 -> out/demo/faces.mp4 (with the HUD), out/demo/faces-clip.json"
echo "  text detection:      out/demo/text.png, out/demo/text.json"
echo "  text read (OCR):     printed above, out/demo/page-text.json"
echo "  line segments:       out/demo/lines.png, out/demo/lines.json"
echo "  Sobel edges:         out/demo/sobel.png"
echo "live window (needs a display): $viewer --source webcam --window   (or --source out/demo/clip.mp4; --model ppocr-det|mlsd|sobel; Esc quits)"
