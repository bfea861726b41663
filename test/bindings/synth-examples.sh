#!/usr/bin/env bash
# Synthesizes examples/{typescript,python,java} with the CDK CLI of this checkout, against the
# library (linked), the wheel (dist/python) and the jar (dist/java). Run by `npm run test:bindings`
# after the package:* tasks; test/bindings/bindings.test.ts then compares the templates.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CDK="$ROOT/node_modules/.bin/cdk"
export CDK_DISABLE_CLI_TELEMETRY=true
# Each synth's stderr is shown and kept in cdk.out/synth.stderr, after a line naming the node that
# ran it: test/bindings checks it has no Node end-of-life banner (jsii's, the CDK CLI's).
synth() {
  local err status=0
  err=$(mktemp)
  "$CDK" synth -q --no-notices --output cdk.out 2>"$err" || status=$?
  cat "$err" >&2
  { echo "# node $(node --version)"; cat "$err"; } >cdk.out/synth.stderr 2>/dev/null || true
  rm -f "$err"
  return "$status"
}
stamp() { echo "[synth-examples] $1 ($((SECONDS - start)) s)"; }

start=$SECONDS
cd "$ROOT/examples/typescript"
rm -rf cdk.out
# Links trellis-cdk to the checkout; aws-cdk-lib, constructs and ts-node resolve from the
# checkout's node_modules (see .npmrc), so the app and the library share one aws-cdk-lib.
npm install --no-audit --no-fund --loglevel=error
synth
stamp "typescript"

start=$SECONDS
cd "$ROOT/examples/python"
rm -rf cdk.out
wheel=$(ls "$ROOT"/dist/python/trellis_cdk-*.whl)
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
# The wheel's version does not change between builds: reinstall it every time.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$wheel"
synth
stamp "python"

start=$SECONDS
cd "$ROOT/examples/java"
rm -rf cdk.out
# Maven keeps a copy of every artifact it resolves, dist/java's too, and never refetches a
# release: drop the copy of the previous build so the example runs the jar just built.
rm -rf "${MAVEN_LOCAL_REPOSITORY:-$HOME/.m2/repository}/dev/trellis/trellis-cdk"
synth
stamp "java"
