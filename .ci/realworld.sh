#!/usr/bin/env bash
# Real-world check of the jsonlogin catalog: installs real servers from
# the package registries (Debian packages, npm, the Go module proxy),
# cached outside the repository, and runs TestRealWorld of
# jsonlogin/catalog, which starts each server on a free loopback port with
# a short token lifetime and drives its catalog entry with the library,
# the command (built from ./cmd/loginauth) and its proxy: a wrong password,
# one login for many concurrent requests, a server-side revocation,
# expiry, a refresh with the current token (PocketBase) and logout. The
# test stops each server by its PID; a trap here stops those still running.
# The test runs under -race.
#
#   .ci/realworld.sh                      the CI servers: qbittorrent, node-red, pocketbase
#   LOGINAUTH_REALWORLD=node-red .ci/realworld.sh   some of them
#   LOGINAUTH_REALWORLD=all .ci/realworld.sh        the CI servers and the
#                                         script-only ones: deluge, verdaccio,
#                                         matrix (Dendrite)
#
# The cache is $LOGINAUTH_REALWORLD_CACHE, default ~/.cache/loginauth-realworld.
set -euo pipefail
cd "$(dirname "$0")/.."

servers=${LOGINAUTH_REALWORLD:-qbittorrent,node-red,pocketbase}
[ "$servers" = all ] && servers=qbittorrent,node-red,pocketbase,deluge,verdaccio,matrix
cache=${LOGINAUTH_REALWORLD_CACHE:-$HOME/.cache/loginauth-realworld}
# Versions pinned: the catalog's $comment names the ones tested.
NODE_RED_VERSION=4.1.15
VERDACCIO_VERSION=6.8.0
POCKETBASE_VERSION=v0.36.8
DENDRITE_VERSION=v0.13.8
mkdir -p "$cache"
t0=$(date +%s)
timing() { echo "timing: $1 $(( $(date +%s) - $2 ))s"; }

install_qbittorrent() {
	command -v qbittorrent-nox >/dev/null && return
	[ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qbittorrent-nox >/dev/null
}

install_deluge() {
	command -v deluge-web >/dev/null && return
	[ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq deluge-web >/dev/null
}

# npm_install DIR PACKAGE VERSION installs PACKAGE@VERSION in
# $cache/DIR, once per version.
npm_install() {
	command -v node >/dev/null && command -v npm >/dev/null || {
		[ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
	}
	local dir=$cache/$1
	if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$3" ]; then
		mkdir -p "$dir"
		(cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } &&
			npm install --no-audit --no-fund --loglevel=error "$2@$3" >/dev/null)
		echo "$3" >"$dir/.installed"
	fi
}

# PocketBase is built from its Go module, with one route of our own,
# /api/realworld/me, behind PocketBase's apis.RequireAuth: PocketBase
# ignores an invalid token rather than refusing it, so only such routes
# answer 401 to a user's expired or revoked token.
install_pocketbase() {
	local dir=$cache/pocketbase
	[ "$(cat "$dir/.installed" 2>/dev/null)" = "$POCKETBASE_VERSION" ] && [ -x "$dir/pocketbase" ] && return
	mkdir -p "$dir"
	cat >"$dir/main.go" <<'GO'
// Command pocketbase is PocketBase with one route that requires auth.
package main

import (
	"log"
	"net/http"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

func main() {
	app := pocketbase.New()
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/realworld/me", func(e *core.RequestEvent) error {
			return e.JSON(http.StatusOK, map[string]string{"id": e.Auth.Id})
		}).Bind(apis.RequireAuth())
		return se.Next()
	})
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}
GO
	printf 'module pbrealworld\n\ngo 1.25.0\n' >"$dir/go.mod"
	(cd "$dir" && GOFLAGS=-mod=mod go get "github.com/pocketbase/pocketbase@$POCKETBASE_VERSION" >/dev/null 2>&1 &&
		GOFLAGS=-mod=mod go build -o pocketbase .)
	echo "$POCKETBASE_VERSION" >"$dir/.installed"
}

# Dendrite, a Matrix homeserver, is built from its Go module (cgo, for
# SQLite).
install_dendrite() {
	local dir=$cache/dendrite
	[ "$(cat "$dir/.installed" 2>/dev/null)" = "$DENDRITE_VERSION" ] && [ -x "$dir/bin/dendrite" ] && return
	mkdir -p "$dir"
	local c
	for c in dendrite generate-config generate-keys; do
		GOBIN=$dir/bin go install "github.com/matrix-org/dendrite/cmd/$c@$DENDRITE_VERSION"
	done
	echo "$DENDRITE_VERSION" >"$dir/.installed"
}

for s in ${servers//,/ }; do
	t=$(date +%s)
	case $s in
	qbittorrent) install_qbittorrent ;;
	node-red) npm_install node-red node-red "$NODE_RED_VERSION" ;;
	verdaccio) npm_install verdaccio verdaccio "$VERDACCIO_VERSION" ;;
	pocketbase) install_pocketbase ;;
	deluge) install_deluge ;;
	matrix) install_dendrite ;;
	*) echo "realworld: unknown server $s" >&2; exit 2 ;;
	esac
	timing "install $s" "$t"
done

# The test stops each server by its PID. Should the test itself be
# stopped, the trap stops each server still running: each runs in a
# process group of its own, whose PID the test writes to $pids.
pids=$(mktemp)
stop() {
	while read -r p; do kill -TERM -- "-$p" 2>/dev/null || true; done <"$pids"
	rm -f "$pids"
}
trap stop EXIT
trap "exit 143" INT TERM
t=$(date +%s)
status=0
LOGINAUTH_REALWORLD=$servers LOGINAUTH_REALWORLD_CACHE=$cache LOGINAUTH_REALWORLD_PIDS=$pids \
	go test -race -count=1 -timeout 15m -v -run '^TestRealWorld$' ./jsonlogin/catalog/ >"$cache/test.log" 2>&1 || status=$?
grep -E 'timing:|^(=== RUN|--- |PASS|FAIL|ok)|\.go:[0-9]+:' "$cache/test.log" || true
timing "tests" "$t"
timing "realworld in all" "$t0"
exit $status
