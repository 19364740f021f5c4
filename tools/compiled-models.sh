#!/usr/bin/env bash
# Regenerates the EF Core compiled models (src/Guichet/Data/CompiledModels/Sqlite and Postgres) from the DbContexts'
# OnModelCreating. Run it after any change to the model (an entity, a configuration, a migration): the test
# CompiledModelTests fails until the compiled models match it again. docs/architecture.md#modele-compile says why.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
for provider in Sqlite Postgres; do
  rm -rf "src/Guichet/Data/CompiledModels/$provider"
  dotnet ef dbcontext optimize --project src/Guichet --context "${provider}GuichetDbContext" \
    --output-dir "Data/CompiledModels/$provider" --namespace "Guichet.Data.CompiledModels.$provider" --configuration Release
done
echo "Modèles compilés régénérés dans src/Guichet/Data/CompiledModels."
