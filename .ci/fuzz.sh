#!/usr/bin/env bash
# Short fuzz runs: every fuzz target of the module, one at a time, package
# by package, each for FUZZTIME (default 20000x: executions, not seconds).
# A crash fails the run; Go keeps the failing input under the package's
# testdata/fuzz/<Target>/, so that the next `go test` replays it.
# Usage: FUZZTIME=10s .ci/fuzz.sh
#
# The default is a count because Go 1.26's fuzz coordinator can report a
# spurious "context deadline exceeded" failure when a duration-based
# -fuzztime ends while a worker is busy (go.dev/issue/75804, fixed in Go
# 1.27); a count has no deadline to race.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-20000x}"
failed=()
for pkg in $(go list ./...); do
	# go test -list compiles the package's tests and prints their names.
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		echo "== fuzz $pkg $target for $FUZZTIME"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -timeout 5m "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzzing found failures in:"
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
echo "fuzzing: no failures"
