#!/usr/bin/env bash
# Short fuzz runs: every fuzz target of the module, one at a time, package
# by package, each for FUZZTIME (default 3s). A crash fails the run; Go
# keeps the failing input under the package's testdata/fuzz/<Target>/, so
# that the next `go test` replays it. Usage: FUZZTIME=10s .ci/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-3s}"
failed=()
for pkg in $(go list ./...); do
	# go test -list compiles the package's tests and prints their names.
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		echo "== fuzz $pkg $target for $FUZZTIME"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"; then
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
