#!/usr/bin/env bash
# Mutation check: break each guard of the library in turn, in a scratch
# copy of the tree, and require the tests named for it to fail. The list
# of mutants is tools/mutants/main.go.
# Usage: bash .ci/mutants.sh [-race] [name-substring ...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./tools/mutants "$@"
