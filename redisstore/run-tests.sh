#!/usr/bin/env bash
# Runs the redisstore tests against a throwaway redis-server on a free
# loopback port: vet, then `go test -race -count=1 ./...`, with any extra
# arguments passed on to go test (e.g. -run TestFleet, or -bench Fleet
# -benchtime 5x -run '^$'). Installs redis-server with apt-get when it is
# missing and we are root. With LOGINAUTH_REDIS_ADDR already set, uses that
# Redis instead and starts none.
set -euo pipefail
cd "$(dirname "$0")"

log() { echo "run-tests.sh: $*" >&2; }

if [ -z "${LOGINAUTH_REDIS_ADDR:-}" ]; then
	if ! command -v redis-server >/dev/null 2>&1; then
		if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
			log "installing redis-server"
			export DEBIAN_FRONTEND=noninteractive
			apt-get update -qq >/dev/null
			apt-get install -y -qq redis-server >/dev/null
		else
			log "redis-server is missing, and cannot be installed here (needs apt-get and root)"
			exit 1
		fi
	fi

	# A free port: ask the kernel, else try random ports until one refuses
	# connections.
	port=""
	if command -v python3 >/dev/null 2>&1; then
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
	else
		for _ in $(seq 50); do
			p=$((20000 + RANDOM % 40000))
			if ! { exec 3<>"/dev/tcp/127.0.0.1/$p"; } 2>/dev/null; then
				port=$p
				break
			fi
			exec 3<&- 3>&-
		done
	fi
	if [ -z "$port" ]; then
		log "found no free port"
		exit 1
	fi

	dir=$(mktemp -d)
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
	redis_pid=$!
	stop_redis() {
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
		rm -rf "$dir"
	}
	trap stop_redis EXIT

	ready=""
	for _ in $(seq 100); do
		if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
			printf 'PING\r\n' >&3
			if read -r -t 1 reply <&3 && [[ $reply == +PONG* ]]; then
				ready=yes
			fi
			exec 3<&- 3>&-
		fi
		[ -n "$ready" ] && break
		if ! kill -0 "$redis_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	if [ -z "$ready" ]; then
		log "redis-server did not start on port $port:"
		cat "$dir/redis.log" >&2
		exit 1
	fi
	export LOGINAUTH_REDIS_ADDR="127.0.0.1:$port"
	log "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $LOGINAUTH_REDIS_ADDR"
fi

go version
go vet ./...
go test -race -count=1 "$@" ./...
