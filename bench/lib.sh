# Shared by bench/proxy.sh and bench/proxy-flood.sh: a scratch directory
# with the built command and proxybench, removed at exit with the
# processes started by `start`.
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
go build -o "$dir/loginauth" ./cmd/loginauth
go build -o "$dir/proxybench" ./bench/proxybench

# start NAME CMD...: runs CMD in the background and waits for its
# "listening on ADDR" line; sets $addr and $pid.
start() {
	name=$1
	shift
	"$@" >"$dir/$name.out" 2>&1 &
	pid=$!
	pids="$pids $pid"
	for _ in $(seq 100); do
		addr=$(sed -n 's/.*listening on \(http:\/\/\)\{0,1\}\([0-9.:]*\).*/\2/p' "$dir/$name.out" | head -n1)
		[ -n "$addr" ] && return 0
		sleep 0.1
	done
	echo "$name did not start:" >&2
	cat "$dir/$name.out" >&2
	exit 1
}
