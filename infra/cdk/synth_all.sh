#!/usr/bin/env bash
# Synthesize every environment (or those named) into cdk.out/<env> with cdk-nag
# (AwsSolutions) on; exit non-zero on any synth error or nag finding. Quiet when all is well.
#
#   infra/cdk/synth_all.sh                 # dev staging prod
#   infra/cdk/synth_all.sh prod            # one
#   PYTHON=.venv/bin/python infra/cdk/synth_all.sh
#
# Offline once the caches are warm: the CDK CLI and Node 22 come from infra/cdk/node_modules
# (npm ci from the lock file), the Lambda dependencies from build/lambda-deps/ (pip, first run).
set -euo pipefail
cd "$(dirname "$0")/../.."

CDK_DIR=infra/cdk
PYTHON=${PYTHON:-python}
ENVS=("$@")
[ ${#ENVS[@]} -gt 0 ] || ENVS=(dev staging prod)

if [ ! -x "$CDK_DIR/node_modules/.bin/cdk" ] || [ ! -x "$CDK_DIR/node_modules/.bin/node" ]; then
  (cd "$CDK_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# Node 22 from the lock file first: both the CLI and jsii (the Python app's Node runtime).
export PATH="$PWD/$CDK_DIR/node_modules/.bin:$PATH"
# `chalice package` needs a region to render the template; nothing is deployed.
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
# No network from the CLI: no telemetry, no notices, no version check.
export CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for env in "${ENVS[@]}"; do
  start=$SECONDS
  if ! cdk synth --app "$PYTHON -m infra.cdk.app" -c env="$env" -o "cdk.out/$env" \
       --quiet --no-notices >"$log" 2>&1; then
    cat "$log" >&2
    echo "synth $env: FAILED (errors above)" >&2
    exit 1
  fi
  echo "synth $env: ok -> cdk.out/$env ($((SECONDS - start)) s)"
done
