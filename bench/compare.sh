#!/usr/bin/env bash
# Compares loginauth with golang.org/x/oauth2 (and with the floor of an
# authenticating decorator) interleaved: the test binary is built once,
# then each round runs every implementation of a benchmark back to back,
# in an order that alternates from round to round, so that a change in the
# machine's load falls on all of them alike. It prints, for each
# benchmark, the median ns/op of each implementation and the median of
# the per-round ratios. Not run by .ci/run: it takes about
# ROUNDS × (implementations) × BENCHTIME per benchmark.
#
# Usage, from anywhere in the repository:
#
#	bench/compare.sh [benchmark ...]
#
# Benchmarks default to RoundTrip and RoundTripParallel. Environment:
# ROUNDS (default 9), BENCHTIME (default 1s), CPUPROFILE (a file: the
# loginauth runs of the last round write a CPU profile there).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-9}
benchtime=${BENCHTIME:-1s}
benchmarks=("$@")
[ ${#benchmarks[@]} -gt 0 ] || benchmarks=(RoundTrip RoundTripParallel)
impls=(oauth2 loginauth floor)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/loginauth.test" . >/dev/null

# nsop runs one sub-benchmark once and prints its ns/op.
nsop() {
	local bench=$1 impl=$2 extra=()
	if [ -n "${CPUPROFILE:-}" ] && [ "$impl" = loginauth ] && [ "$3" = last ]; then
		extra=(-test.cpuprofile "$CPUPROFILE")
	fi
	"$tmp/loginauth.test" -test.run '^$' -test.bench "^Benchmark${bench}\$/^impl=${impl}\$" \
		-test.benchtime "$benchtime" -test.count 1 "${extra[@]}" |
		awk '$1 ~ /^Benchmark/ { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") print $i }'
}

# median prints the median of its arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3-)"
echo "rounds: $rounds, benchtime: $benchtime, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-20s %10s %10s %10s %18s %18s\n' benchmark oauth2 loginauth floor loginauth/oauth2 loginauth/floor
for bench in "${benchmarks[@]}"; do
	declare -A ns=()
	vs_oauth2=() vs_floor=()
	for ((r = 0; r < rounds; r++)); do
		order=("${impls[@]}")
		if ((r % 2)); then order=(floor loginauth oauth2); fi
		last=no
		((r == rounds - 1)) && last=last
		declare -A got=()
		for impl in "${order[@]}"; do
			got[$impl]=$(nsop "$bench" "$impl" "$last")
			ns[$impl]+="${got[$impl]} "
		done
		vs_oauth2+=("$(awk -v a="${got[loginauth]}" -v b="${got[oauth2]}" 'BEGIN { print a / b }')")
		vs_floor+=("$(awk -v a="${got[loginauth]}" -v b="${got[floor]}" 'BEGIN { print a / b }')")
		unset got
	done
	# shellcheck disable=SC2086
	printf '%-20s %10.1f %10.1f %10.1f %17.2fx %17.2fx\n' "$bench" \
		"$(median ${ns[oauth2]})" "$(median ${ns[loginauth]})" "$(median ${ns[floor]})" \
		"$(median "${vs_oauth2[@]}")" "$(median "${vs_floor[@]}")"
	unset ns
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
