# script/lib/stack.sh: shared by script/server and script/test.
# Builds the app and starts PostgreSQL, the workers and nginx under $STACK_DIR.
# Every function logs what it does; each started process has a pid file in
# $STACK_DIR/run so that stack_stop can end exactly what was started.

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

PGBIN=/usr/lib/postgresql/15/bin

# free_ports N [TAKEN...]: N distinct free TCP ports on 127.0.0.1, none of TAKEN (ports
# chosen earlier and not listened on yet). The sockets are held until all are found:
# one port asked for twice in a row can come back twice (a stack once got the same
# port for nginx's redirects and PostgreSQL).
free_ports() {
	perl -MIO::Socket::INET -e '
		my ($n, %taken) = ($ARGV[0], map { $_ => 1 } @ARGV[1 .. $#ARGV]);
		my (@held, @ports);
		while (@ports < $n) {
			my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0) or die "no free port: $!";
			push @held, $s;
			push @ports, $s->sockport unless $taken{ $s->sockport }++;
		}
		print "@ports\n"' "$@"
}
# free_port [TAKEN...]: one of them
free_port() { free_ports 1 "$@"; }

# Runs a command as the unprivileged owner of the database when we are root.
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stack_build() {
	# $1: build directory; $2...: configure flags
	bdir=$1; shift
	cd "$ROOT"
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
		say "autoreconf"
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	mkdir -p "$bdir"
	cd "$bdir"
	if [ ! -f Makefile ] || [ "$ROOT/configure" -nt Makefile ] || [ "$(cat .flags 2>/dev/null)" != "$*" ]; then
		say "configure $*"
		"$ROOT/configure" -q "$@" || die "configure failed"
		make -s clean >/dev/null 2>&1 || true	# objects built with other flags must not mix
		echo "$*" > .flags
	fi
	say "make"
	make -s -j"$(nproc)" >/dev/null || make -j1 || die "build failed"
	cd "$ROOT"
	LAFETE_BIN=$bdir/lafete
}

stack_dirs() {
	mkdir -p "$STACK_DIR/run" "$STACK_DIR/log" "$STACK_DIR/nginx" "$STACK_DIR/tls" "$STORAGE_DIR"
	chmod 755 "$STACK_DIR"
}

# A private cluster, unless DB_HOST was given (then it is used as it is). PG_EXTRA_OPTS
# adds server options (e.g. "-c log_statement=all", README "Tests"; t/11 restarts it with them).
stack_postgres() {
	if [ -n "${EXTERNAL_DB:-}" ]; then
		say "using the database at $DB_HOST:$DB_PORT"
		return
	fi
	pgdata=$STACK_DIR/pg/data
	pgrun=$STACK_DIR/pg/run
	mkdir -p "$pgdata" "$pgrun"
	[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STACK_DIR/pg"
	chmod 700 "$pgdata"
	if [ ! -f "$pgdata/PG_VERSION" ]; then
		say "initdb $pgdata"
		as_pg "$PGBIN/initdb" -D "$pgdata" -A trust -U postgres --no-sync -E UTF8 >"$STACK_DIR/log/initdb.log" 2>&1 ||
			die "initdb failed: see $STACK_DIR/log/initdb.log"
	fi
	say "postgres on 127.0.0.1:$DB_PORT"
	as_pg "$PGBIN/pg_ctl" -D "$pgdata" -l "$STACK_DIR/pg/postgres.log" -w -t 30 \
		-o "-p $DB_PORT -k $pgrun -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on} -c max_connections=100 -c timezone=UTC ${PG_EXTRA_OPTS:-}" \
		start >/dev/null || die "postgres did not start: see $STACK_DIR/pg/postgres.log"
	# the application's role and database (trust auth on loopback: dev/test only)
	psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USERNAME'" | grep -q 1 ||
		psql_admin -qc "CREATE ROLE \"$DB_USERNAME\" LOGIN PASSWORD '$DB_PASSWORD'"
	psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1 ||
		psql_admin -qc "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USERNAME\""
}

psql_admin() {
	psql -X -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres "$@"
}

stack_postgres_stop() {
	[ -n "${EXTERNAL_DB:-}" ] && return 0
	[ -f "$STACK_DIR/pg/data/postmaster.pid" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$STACK_DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true
}

# PgBouncer in transaction pooling mode between the app and PostgreSQL (script/test
# --pgbouncer): its own port, its log in $STACK_DIR/log/pgbouncer.log, the app's role
# checked with SCRAM against its own list and passed on to PostgreSQL with the same
# password. Afterwards DB_HOST/DB_PORT name the pooler (everything the app runs: the
# workers, the CLI), PG_HOST/PG_PORT PostgreSQL itself (the tests' psql, pg_ctl), and
# DB_POOL_MODE=transaction. A client waits for a server connection at most 3 s
# (query_wait_timeout: a request answers 503 rather than hang while PostgreSQL is down),
# and a failed login to PostgreSQL is tried again after 0.2 s (server_login_retry: the
# pooler is back as soon as PostgreSQL is).
stack_pgbouncer() {
	pgb=$STACK_DIR/pgbouncer
	: "${PGBOUNCER_PORT:=$(free_port "${HTTP_PORT:-}" "${HTTPS_PORT:-}" "${DB_PORT:-}")}"
	mkdir -p "$pgb"
	printf '"%s" "%s"\n' "$DB_USERNAME" "$DB_PASSWORD" > "$pgb/userlist.txt"
	{
		echo "[databases]"
		echo "$DB_NAME = host=$DB_HOST port=$DB_PORT dbname=$DB_NAME"
		echo "[pgbouncer]"
		echo "listen_addr = 127.0.0.1"
		echo "listen_port = $PGBOUNCER_PORT"
		echo "unix_socket_dir ="
		echo "auth_type = scram-sha-256"
		echo "auth_file = $pgb/userlist.txt"
		echo "admin_users = $DB_USERNAME"
		echo "pool_mode = transaction"
		echo "default_pool_size = 20"
		echo "max_client_conn = 200"
		echo "query_wait_timeout = 3"
		echo "server_login_retry = 0.2"
		# it refuses to run as root
		if [ "$(id -u)" = 0 ]; then echo "user = postgres"; fi
	} > "$pgb/pgbouncer.ini"
	chmod 755 "$pgb"
	chmod 644 "$pgb/pgbouncer.ini" "$pgb/userlist.txt"
	say "pgbouncer (transaction pooling) on 127.0.0.1:$PGBOUNCER_PORT"
	pgbouncer "$pgb/pgbouncer.ini" 2>>"$STACK_DIR/log/pgbouncer.log" &
	echo $! > "$STACK_DIR/run/pgbouncer.pid"
	i=0
	until PGPASSWORD=$DB_PASSWORD psql -X -q -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U "$DB_USERNAME" -d "$DB_NAME" -tAc 'SELECT 1' >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 100 ] && { tail -5 "$STACK_DIR/log/pgbouncer.log" >&2; die "pgbouncer did not start"; }
		sleep 0.1
	done
	PG_HOST=$DB_HOST PG_PORT=$DB_PORT DB_HOST=127.0.0.1 DB_PORT=$PGBOUNCER_PORT DB_POOL_MODE=transaction
	export PG_HOST PG_PORT DB_HOST DB_PORT DB_POOL_MODE
}

stack_migrate_seed() {
	say "migrate"
	"$LAFETE_BIN" migrate "$ROOT/schema" >>"$STACK_DIR/log/migrate.log" 2>&1 || { cat "$STACK_DIR/log/migrate.log" >&2; die "migration failed"; }
	say "seed"
	"$LAFETE_BIN" seed "$ROOT/seed" >>"$STACK_DIR/log/migrate.log" 2>&1 || { cat "$STACK_DIR/log/migrate.log" >&2; die "seeding failed"; }
}

stack_tls() {
	[ -f "$STACK_DIR/tls/cert.pem" ] && return 0
	say "self-signed certificate for localhost"
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
		-keyout "$STACK_DIR/tls/key.pem" -out "$STACK_DIR/tls/cert.pem" >/dev/null 2>&1 || die "openssl failed"
}

stack_app() {
	say "workers ($WORKERS) on $FCGI_SOCKET"
	rm -f "$FCGI_SOCKET"
	# the master stays in the foreground of its own subshell; its pid is recorded
	"$LAFETE_BIN" serve >>"$STACK_DIR/log/app.log" 2>&1 &
	echo $! > "$STACK_DIR/run/app.pid"
	i=0
	while [ ! -S "$FCGI_SOCKET" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { tail -20 "$STACK_DIR/log/app.log" >&2; die "the app did not start"; }
		kill -0 "$(cat "$STACK_DIR/run/app.pid")" 2>/dev/null || { tail -20 "$STACK_DIR/log/app.log" >&2; die "the app exited"; }
		sleep 0.1
	done
}

stack_nginx() {
	say "nginx on https://localhost:$HTTPS_PORT (http $HTTP_PORT redirects)"
	cp "$ROOT/nginx/lafete-fastcgi.conf" "$ROOT/nginx/lafete-locations.conf" "$ROOT/nginx/lafete-admin-headers.conf" \
		"$ROOT/nginx/lafete-headers.conf" "$STACK_DIR/nginx/"
	"$ROOT/script/nginx-conf" > "$STACK_DIR/nginx/nginx.conf"
	nginx -t -q -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/nginx.conf" 2>>"$STACK_DIR/log/nginx-error.log" ||
		{ tail -5 "$STACK_DIR/log/nginx-error.log" >&2; die "nginx configuration rejected"; }
	nginx -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/nginx.conf" 2>>"$STACK_DIR/log/nginx-error.log" &
	echo $! > "$STACK_DIR/run/nginx.pid"
	i=0
	until curl -sk -o /dev/null "https://127.0.0.1:$HTTPS_PORT/api/health"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { tail -5 "$STACK_DIR/log/nginx-error.log" >&2; die "nginx did not start"; }
		sleep 0.1
	done
}

# Calls the dispatch URL every minute, the way the crontab line does.
stack_cron() {
	(
		while sleep "${CRON_INTERVAL:-60}"; do
			curl -sk -X POST -H "Authorization: Bearer $DISPATCH_TOKEN" \
				"https://127.0.0.1:$HTTPS_PORT/api/internal/dispatch" >>"$STACK_DIR/log/cron.log" 2>&1
			echo >>"$STACK_DIR/log/cron.log"
		done
	) &
	echo $! > "$STACK_DIR/run/cron.pid"
}

stack_stop() {
	for name in cron nginx app fakes pgbouncer; do
		f=$STACK_DIR/run/$name.pid
		[ -f "$f" ] || continue
		for pid in $(cat "$f"); do kill -TERM "$pid" 2>/dev/null || true; done
	done
	for name in cron nginx app fakes pgbouncer; do
		f=$STACK_DIR/run/$name.pid
		[ -f "$f" ] || continue
		for pid in $(cat "$f"); do
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 120 ]; do sleep 0.1; i=$((i + 1)); done
			kill -KILL "$pid" 2>/dev/null || true
		done
		rm -f "$f"
	done
	stack_postgres_stop
}

# Default configuration for a stack rooted at $STACK_DIR (the environment and
# .env win: conf_load reads them the same way).
stack_env() {
	: "${HTTP_PORT:=8080}" "${HTTPS_PORT:=8443}"
	: "${WORKERS:=$(nproc)}"
	if [ -n "${DB_HOST:-}" ]; then EXTERNAL_DB=1; fi
	: "${DB_HOST:=127.0.0.1}" "${DB_PORT:=55432}" "${DB_USERNAME:=lafete}" "${DB_PASSWORD:=lafete}" "${DB_NAME:=lafete}"
	: "${FCGI_SOCKET:=$STACK_DIR/run/lafete.sock}"
	: "${STORAGE_DIR:=$STACK_DIR/storage}"
	: "${PUBLIC_URL:=https://localhost:$HTTPS_PORT}"
	: "${TEMPLATE_DIR:=$ROOT/templates}" "${OPENAPI_PATH:=$ROOT/doc/openapi.json}"
	export HTTP_PORT HTTPS_PORT WORKERS DB_HOST DB_PORT DB_USERNAME DB_PASSWORD DB_NAME
	export FCGI_SOCKET STORAGE_DIR PUBLIC_URL TEMPLATE_DIR OPENAPI_PATH STACK_DIR ROOT
}
