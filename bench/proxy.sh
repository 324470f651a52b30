#!/bin/sh
# Measures `loginauth proxy` beside a direct call, a bare
# httputil.ReverseProxy and nginx (when installed: apt-get install
# nginx-light), against the same upstream, in interleaved rounds.
# Not run by .ci/run. See BENCHMARKS.md.
#
#   bench/proxy.sh [proxybench run flags]     e.g. -rounds 5 -c 1,8,64
#
# Each proxy is pinned to CPU 1 and the load generator and the upstream to
# CPU 0 when taskset exists and there are 2 CPUs or more.
. "$(dirname "$0")/lib.sh"

pin0="" pin1=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin0="taskset -c 0" pin1="taskset -c 1"
fi

start upstream $pin0 "$dir/proxybench" upstream 127.0.0.1:0
up=$addr
start bare $pin1 "$dir/proxybench" bare 127.0.0.1:0 "http://$up/api:b"
bare=$addr
XANO_BASE_URL="http://$up/api:b" XANO_EMAIL=bench@example.test XANO_PASSWORD=bench-pass \
	LOGINAUTH_CACHE_DIR="$dir/cache" \
	start loginauth $pin1 "$dir/loginauth" proxy xano --listen 127.0.0.1:0
la=$addr

targets="direct=http://$up/api:b/x bare=http://$bare/x"
if command -v nginx >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$dir/nginx"
	cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $dir/nginx/body;
	proxy_temp_path $dir/nginx/proxy;
	client_max_body_size 2m;
	client_body_buffer_size 128k;
	upstream api { server $up; keepalive 128; }
	server {
		listen 127.0.0.1:$port;
		location / {
			proxy_pass http://api/api:b/;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Authorization "Bearer bench-token";
		}
	}
}
CONF
	$pin1 nginx -c "$dir/nginx.conf" >"$dir/nginx.out" 2>&1 &
	pids="$pids $!"
	sleep 0.5
	targets="$targets nginx=http://127.0.0.1:$port/x"
else
	echo "nginx is not installed: skipped (apt-get install nginx-light)" >&2
fi
targets="$targets loginauth=http://$la/x"

echo "$(nproc) CPUs; $(go version); load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
$pin0 "$dir/proxybench" run "$@" $targets
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)" >&2
