#!/usr/bin/env bash
# The DynamoDB Local launcher for assets/local/dynamodb (bundle:local-cli): compiled where a JDK
# is; with only a JRE (the quick start asks for no more), the committed class, which
# test/local/dynamodb-launcher-class keeps equal to the source.
set -euo pipefail
cd "$(dirname "$0")"
out=../../../assets/local/dynamodb
mkdir -p "$out"
if command -v javac >/dev/null 2>&1; then
  javac --release 17 -Xlint:all -Werror -d "$out" TrellisDynamoDbLocal.java
else
  cp TrellisDynamoDbLocal.class "$out/"
fi
