#!/bin/sh
# The held-uploads flood against `loginauth proxy`: 300 connections each
# send 1 MiB - 1 of a 1 MiB body and stall. Prints the proxy's peak RSS
# (VmHWM), which must stay at most 2 x --max-buffered + 64 MiB (192 MiB
# with the default 64 MiB). The upstream runs in another process, and
# GOMEMLIMIT is unset. Not run by .ci/run.
#
#   bench/proxy-flood.sh [N [extra loginauth proxy flags]]
n=${1:-300}
[ $# -gt 0 ] && shift
unset GOMEMLIMIT
. "$(dirname "$0")/lib.sh"

start upstream "$dir/proxybench" upstream 127.0.0.1:0
up=$addr
XANO_BASE_URL="http://$up/api:b" XANO_EMAIL=bench@example.test XANO_PASSWORD=bench-pass LOGINAUTH_CACHE_DIR="$dir/cache" \
	start loginauth "$dir/loginauth" proxy xano --listen 127.0.0.1:0 "$@"
proxy=$pid
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
