#!/bin/sh
# The held-uploads flood against `loginauth proxy`: 300 connections each
# send 1 MiB - 1 of a 1 MiB body and stall. Prints the proxy's peak RSS
# (VmHWM), which must stay at most 2 x --max-buffered + 64 MiB (192 MiB
# with the default 64 MiB). The upstream runs in another process, and
# GOMEMLIMIT is unset. Not run by .ci/run.
#
#   bench/proxy-flood.sh [N [extra loginauth proxy flags]]
set -eu
cd "$(dirname "$0")/.."
n=${1:-300}
[ $# -gt 0 ] && shift
unset GOMEMLIMIT
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

waitaddr() {
	for _ in $(seq 100); do
		addr=$(sed -n 's/.*listening on \(http:\/\/\)\{0,1\}\([0-9.:]*\).*/\2/p' "$1" | head -n1)
		[ -n "$addr" ] && return 0
		sleep 0.1
	done
	cat "$1" >&2
	exit 1
}
"$dir/proxybench" upstream 127.0.0.1:0 >"$dir/up.out" 2>&1 &
pids="$pids $!"
waitaddr "$dir/up.out"
up=$addr
XANO_BASE_URL="http://$up/api:b" XANO_EMAIL=bench@example.test XANO_PASSWORD=bench-pass LOGINAUTH_CACHE_DIR="$dir/cache" \
	"$dir/loginauth" proxy xano --listen 127.0.0.1:0 "$@" >"$dir/proxy.out" 2>&1 &
proxy=$!
pids="$pids $proxy"
waitaddr "$dir/proxy.out"
la=$addr
rss() { grep -E "^$1:" "/proc/$proxy/status" | awk '{print int($2/1024) " MiB"}'; }
echo "before: VmRSS $(rss VmRSS), VmHWM $(rss VmHWM)"
"$dir/proxybench" flood "$la" "$n" 15s &
fl=$!
pids="$pids $fl"
sleep 10
echo "10 s into the flood: VmRSS $(rss VmRSS), VmHWM $(rss VmHWM)"
wait $fl || true
echo "after: VmRSS $(rss VmRSS), VmHWM $(rss VmHWM) (bound: 2 x --max-buffered + 64 MiB)"
curl -s "http://$la/_loginauth/stats" 2>/dev/null || true
