#!/usr/bin/env bash
# Runs every test of Guichet. Installs what the tests need and is missing (PostgreSQL server, Chromium) with apt first.
set -euo pipefail
cd "$(dirname "$0")"

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
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
dotnet test --solution Guichet.slnx -c Release --no-build "$@"
