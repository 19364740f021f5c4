#!/usr/bin/env bash
# Regenerates the typed client from the committed OpenAPI document (docs/api/openapi-v1.json), as an integrator would.
# The document itself is refreshed from the code by: GUICHET_UPDATE_CONTRACT=1 dotnet test … --filter-class "*ApiContractTests*"
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet tool restore >/dev/null
# No update check (it would reach GitHub) and no tutorial text: the generation works offline.
KIOTA_UPDATE__DISABLED=true KIOTA_TUTORIAL_ENABLED=false dotnet kiota generate --language CSharp --openapi "${1:-docs/api/openapi-v1.json}" \
  --output "${2:-tests/Guichet.ApiClient/Generated}" --namespace-name Guichet.ApiClient --class-name GuichetClient \
  --exclude-backward-compatible --clean-output --log-level Error
