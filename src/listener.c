/* listener.c: one process per host that LISTENs for changes made elsewhere
 * (another host, psql, a migration) to what workers keep in memory and bumps
 * the shared generations (shared.h; the writer's own host bumps them from the
 * server's notice, db.c). Not started with DB_POOL_MODE=transaction: a pooled
 * session cannot LISTEN, and workers then read everything every time. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "db.h"
#include "listener.h"
#include "shared.h"
#include "util.h"

/* The listener proves it is alive (a round trip) this often; workers stop
 * trusting it after BEAT_STALE_MS in shared.c without a beat. */
#define LISTENER_BEAT_MS 1000

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void beat(void)
{
	int64_t now = mono_ms();
	atomic_store(&shared()->listener_beat_ms, now ? now : 1);
}

static void unwatch(void)
{
	atomic_store(&shared()->listener_beat_ms, 0);
}

static int command_ok(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	return ok;
}

/* Takes every notification that arrived; -1 when the session is gone. */
static int drain(PGconn *conn)
{
	PGnotify *n;
	unsigned got = 0;

	if (!PQconsumeInput(conn))
		return -1;
	while ((n = PQnotifies(conn)) != NULL) {
		int t = shared_topic(n->extra);
		got |= t >= 0 ? 1u << t : ~0u; /* unknown: assume anything changed */
		PQfreemem(n);
	}
	for (int t = 0; t < TOPIC_COUNT; t++)
		if (got & (1u << t))
			shared_changed(t);
	return 0;
}

/* One session: LISTEN, then wait for notifications, beating, until the
 * session fails or we are told to stop. */
static void watch(PGconn *conn)
{
	if (!command_ok(conn, "LISTEN lafete_changed"))
		return;
	/* whatever changed before the LISTEN took effect is re-read by everyone */
	for (int t = 0; t < TOPIC_COUNT; t++)
		shared_changed(t);
	beat();
	log_info("listener: watching for changes");
	int64_t next_beat = mono_ms() + LISTENER_BEAT_MS;
	while (!stopping) {
		struct pollfd p = { .fd = PQsocket(conn), .events = POLLIN };
		int wait = (int)(next_beat - mono_ms());
		int rc = poll(&p, 1, wait > 0 ? wait : 0);
		if (rc < 0 && errno != EINTR)
			return;
		if (rc > 0 && drain(conn) != 0)
			return;
		if (mono_ms() >= next_beat) {
			/* a round trip: a network that dropped silently shows here */
			if (!command_ok(conn, "SELECT 1") || drain(conn) != 0)
				return;
			beat();
			next_beat = mono_ms() + LISTENER_BEAT_MS;
		}
	}
}

int listener_run(void)
{
	struct db db = { 0 };
	struct sigaction sa = { .sa_handler = on_term };

	prctl(PR_SET_PDEATHSIG, SIGTERM);    /* never outlive the master */
	prctl(PR_SET_NAME, "lafete-listen"); /* ps and the tests tell it from the workers */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while (!stopping) {
		if (db_connect(&db, "lafete-listener") == 0) {
			watch(db.conn);
			if (!stopping)
				log_warn("listener: lost the database; workers read everything from the database meanwhile");
		}
		unwatch();
		db_disconnect(&db);
		if (!stopping)
			sleep(1);
	}
	unwatch();
	return 0;
}
