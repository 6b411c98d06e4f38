#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks, on loopback only.
#
#   postgres.sh up HOME [durable]   install Debian's server if missing, then start a new one in
#                                   HOME/data on a free port; write its URL to HOME/url and a
#                                   pg_ctl wrapper to HOME/ctl (ctl stop|start|restart|status)
#   postgres.sh down HOME           stop it (nothing to do when it is not running)
#
# Trust authentication: for a test server on 127.0.0.1 and a private socket folder only.
# Without `durable` the server skips fsync (a test server need not survive a power cut);
# with it, it runs with PostgreSQL's durable defaults (the benchmarks compare those).
set -euo pipefail

cmd=${1:?usage: postgres.sh up|down HOME [durable]}
home=${2:?usage: postgres.sh up|down HOME [durable]}
durable=${3:-}

# initdb and postgres refuse to run as root: run them as the `postgres` user then.
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

server_bin() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

down() {
	local bin
	bin=$(server_bin)
	if [ -n "$bin" ] && [ -f "$home/data/postmaster.pid" ]; then
		as_owner "$bin/pg_ctl" -D "$home/data" -m fast -w -t 60 stop > /dev/null || true
	fi
	if [ -f "$home/socket-dir" ]; then rm -rf "$(cat "$home/socket-dir")"; fi
}

up() {
	if [ -z "$(server_bin)" ] || [ ! -x "$(server_bin)/initdb" ]; then
		echo "installing Debian's PostgreSQL server"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql > /dev/null
	fi
	local bin port socket options
	bin=$(server_bin)
	# A server left by an earlier run is stopped; every run starts from an empty one.
	down
	rm -rf "$home"
	mkdir -p "$home"
	if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$home"; fi
	as_owner "$bin/initdb" -D "$home/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 > "$home/initdb.log"
	port=55432
	while (: < "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do port=$((port + 1)); done
	socket=$(mktemp -d /tmp/conferral-pg.XXXXXX)
	if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$socket"; fi
	echo "$socket" > "$home/socket-dir"
	options="-p $port -k $socket -c listen_addresses=127.0.0.1 -c max_connections=200"
	if [ -z "$durable" ]; then
		options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	fi
	cat > "$home/ctl" << EOF
#!/bin/sh
# pg_ctl on the test server in $home/data: ctl stop|start|restart|status [pg_ctl options]
if [ "\$(id -u)" = 0 ]; then as="runuser -u postgres --"; else as=""; fi
exec \$as "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 -o "$options" "\$@"
EOF
	chmod +x "$home/ctl"
	"$home/ctl" start > /dev/null
	"$bin/psql" -q -h "$socket" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE conferral LOGIN" \
		-c "CREATE DATABASE conferral_test OWNER conferral" > /dev/null
	echo "postgres://conferral@127.0.0.1:$port/conferral_test" > "$home/url"
	echo "PostgreSQL $("$bin/postgres" --version | sed 's/^postgres (PostgreSQL) //') at $(cat "$home/url")"
}

case "$cmd" in
	up) up ;;
	down) down ;;
	*) echo "usage: postgres.sh up|down HOME [durable]" >&2; exit 2 ;;
esac
