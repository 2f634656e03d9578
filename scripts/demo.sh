#!/usr/bin/env bash
# Set-up, build and the demo: the notes' classical filters and a small network on a photograph.
# Images are written to out/demo; a table of sizes and timings is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/VulkanCnn.Cli -c Release -v quiet -nologo >/dev/null
exec src/VulkanCnn.Cli/bin/Release/net10.0/vcnn demo --out out/demo "$@"
