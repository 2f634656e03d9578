#!/usr/bin/env bash
# Set-up, build and the demo: the notes' classical filters and a small network on a photograph.
# Images are written to out/demo; a table of sizes and timings is printed. Then the face viewer (samples/Viewer) runs
# headless on the astronaut photograph and on a short clip made from it (with the fps/latency HUD drawn in). Its live
# window mode (--window) needs a display; the last lines print the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/VulkanCnn.Cli -c Release -v quiet -nologo >/dev/null
dotnet build samples/Viewer -c Release -v quiet -nologo >/dev/null
src/VulkanCnn.Cli/bin/Release/net10.0/vcnn demo --out out/demo "$@"

viewer=samples/Viewer/bin/Release/net10.0/VulkanCnn.Viewer
echo
echo "== face viewer (headless): BlazeFace + GPU overlay"
"$viewer" --source .cache/images/astronaut.png --output out/demo/faces.png --detections out/demo/faces.json
# A 2-second clip: the photograph slowly zoomed in, so the face moves and grows.
ffmpeg -hide_banner -loglevel error -y -loop 1 -i .cache/images/astronaut.png \
    -vf "scale=320:320,zoompan=z='1+0.004*on':d=60:s=320x320" -frames:v 60 out/demo/clip.mp4
"$viewer" --source out/demo/clip.mp4 --output out/demo/faces.mp4 --detections out/demo/faces-clip.json --hud
echo
echo "face viewer outputs: out/demo/faces.png, out/demo/faces.json (photograph);"
echo "                     out/demo/clip.mp4 -> out/demo/faces.mp4 (with the HUD), out/demo/faces-clip.json (clip)"
echo "live window (needs a display): $viewer --source webcam --window   (or --source out/demo/clip.mp4; Esc quits)"
