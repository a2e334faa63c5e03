/* db.c: connection, reconnect, parameterised statements, transactions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "metrics.h"
#include "shared.h"
#include "util.h"

/* The server's notices: "lafete_changed <topic>" says a statement changed
 * something workers keep in memory (schema/0011); other debug messages are
 * dropped, and a quiet connection (the CLI: a migration's "already exists,
 * skipping") keeps only warnings; the rest is logged. */
static void on_notice(void *arg, const PGresult *res)
{
	struct db *db = arg;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *prefix = "lafete_changed ";

	if (msg && strncmp(msg, prefix, strlen(prefix)) == 0) {
		int t = shared_topic(msg + strlen(prefix));
		db->changed |= t >= 0 ? 1u << t : ~0u;
	} else if (msg) {
		const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
		if (severity && strncmp(severity, "DEBUG", 5) == 0)
			return;
		if (db->quiet && (!severity || strcmp(severity, "WARNING") != 0))
			return;
		log_info("database: %s", msg);
	}
}

/* After a commit (or a statement outside a transaction): this host's workers
 * drop what the work changed. Also when the commit's answer was lost: it may
 * have committed. Never before the commit: a worker could re-read the old
 * rows under the new generation. */
static void publish_changes(struct db *db)
{
	for (int t = 0; t < TOPIC_COUNT; t++)
		if (db->changed & (1u << t))
			shared_changed(t);
	db->changed = 0;
}

/* The shop's clock: local times in SQL and in answers (SQL_TIME) are Kolkata's. */
#define DB_TIME_ZONE "Asia/Kolkata"

/* What every connection starts with. The time zone comes with the startup
 * packet (db_connect); it is checked here, so that a connection on another
 * clock is never used. Only in session mode does the session carry more:
 * notices down to DEBUG1 (ours, for on_notice). With DB_POOL_MODE=transaction
 * nothing is SET: the pooler would leave it on whichever server connection
 * ran it, and our next transaction may run on another. */
static int session_setup(struct db *db)
{
	PGconn *conn = db->conn;
	const char *tz = PQparameterStatus(conn, "TimeZone");

	PQsetNoticeReceiver(conn, on_notice, db);
	if (!tz || strcmp(tz, DB_TIME_ZONE) != 0) {
		log_err("database: the session's time zone is %s, not " DB_TIME_ZONE
			" (a pooler that drops the timezone startup parameter?)",
			tz ? tz : "unknown");
		return -1;
	}
	if (cfg->db_pool_transaction)
		return 0;
	PGresult *r = PQexec(conn, "SET client_min_messages = debug1");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : -1;
}

/* A connection whose set-up failed is closed: the next unit of work connects
 * afresh rather than use it half set up. */
static int setup_or_close(struct db *db)
{
	if (session_setup(db) == 0)
		return 0;
	PQfinish(db->conn);
	db->conn = NULL;
	return -1;
}

/* Named prepared statements: PostgreSQL parses and plans each distinct text
 * once per session instead of on every call (a third of a small query's cost).
 * Statements built at run time count too; past DB_MAX_STMTS texts the rest
 * run unnamed, so a text that varies without bound cannot fill the session. */
#define DB_MAX_STMTS 256

struct db_stmt {
	uint64_t hash;
	char *sql;
};

static uint64_t sql_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Forgets this side's statements: the session that held them is gone or reset. */
static void stmts_forget(struct db *db)
{
	for (int i = 0; i < db->nstmts; i++)
		free(db->stmts[i].sql);
	free(db->stmts);
	db->stmts = NULL;
	db->nstmts = 0;
	db->stmt_gen++;
}

/* The statement's name on this session, preparing it first when new; "" when
 * it is to run unnamed. On a failed PREPARE, returns NULL with *err set. */
static const char *stmt_name(struct db *db, const char *sql, int n, char name[24], PGresult **err)
{
	uint64_t h = sql_hash(sql);
	int i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].hash == h && strcmp(db->stmts[i].sql, sql) == 0)
			break;
	if (i == db->nstmts) {
		if (i == DB_MAX_STMTS)
			return "";
		if (!db->stmts)
			db->stmts = xcalloc(DB_MAX_STMTS, sizeof *db->stmts);
		snprintf(name, 24, "lf%u_%d", db->stmt_gen, i);
		PGresult *res = PQprepare(db->conn, name, sql, n, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			*err = res;
			return NULL;
		}
		PQclear(res);
		db->stmts[i].hash = h;
		db->stmts[i].sql = xstrdup(sql);
		db->nstmts++;
	}
	snprintf(name, 24, "lf%u_%d", db->stmt_gen, i);
	return name;
}

static PGresult *run(struct db *db, const char *sql, int n, const char *const *params)
{
	char buf[24];
	PGresult *err = NULL;

	if (cfg->db_pool_transaction)
		return PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	const char *name = stmt_name(db, sql, n, buf, &err);
	if (!name)
		return err;
	if (!*name)
		return PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	return PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
}

/* The server lost our statements (26000: a pooler or DISCARD ALL) or a schema
 * change altered one's result (0A000, "cached plan must not change result
 * type"): start this session's statements afresh. */
static int stmts_stale(struct db *db, const char *state)
{
	if (strcmp(state, "26000") != 0 && strcmp(state, "0A000") != 0)
		return 0;
	stmts_forget(db);
	if (!db->in_tx)
		PQclear(PQexec(db->conn, "DEALLOCATE ALL"));
	return 1;
}

int db_connect(struct db *db, const char *app_name)
{
	const char *keys[] = { "host", "port", "user", "password", "dbname",
			       "connect_timeout", "application_name", NULL };
	const char *vals[] = { cfg->db_host, cfg->db_port, cfg->db_user, cfg->db_password,
			       cfg->db_name, "3", app_name, NULL };

	db->app_name = app_name;
	db->in_tx = 0;
	stmts_forget(db);
	/* libpq sends PGTZ as the "timezone" startup parameter: the session's
	 * default (RESET ALL keeps it), and a parameter PgBouncer keeps per client
	 * in transaction mode, setting it on whichever server connection runs
	 * each of our transactions. libpq has no keyword for it. Written once, at
	 * a process's first connection, before any thread (curl's resolver) runs. */
	const char *tz = getenv("PGTZ");
	if (!tz || strcmp(tz, DB_TIME_ZONE) != 0)
		setenv("PGTZ", DB_TIME_ZONE, 1);
	db->conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		log_warn("database connection failed: %s", PQerrorMessage(db->conn));
		return -1;
	}
	return setup_or_close(db);
}

void db_disconnect(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
	stmts_forget(db);
}

int db_ensure(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (!db->conn)
		return db_connect(db, db->app_name ? db->app_name : "lafete");
	PQreset(db->conn);
	stmts_forget(db); /* a new session: nothing is prepared on it */
	if (PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	log_info("database connection re-established");
	metrics_event(EV_DB_RECONNECT);
	return setup_or_close(db);
}

const char *db_sqlstate(const struct ctx *c)
{
	return c->db->sqlstate;
}

int db_lost(const struct ctx *c)
{
	return c->db->lost;
}

int db_conflict(const struct ctx *c)
{
	return strcmp(c->db->sqlstate, "40001") == 0 || strcmp(c->db->sqlstate, "40P01") == 0;
}

int db_in_tx(const struct ctx *c)
{
	return c->db->in_tx;
}

static void clear_result(void *p)
{
	PQclear(p);
}

/* Expected outcomes (unique violations, bad input, conflicts) are the caller's to report. */
static int expected_failure(const char *state)
{
	return strncmp(state, "23", 2) == 0 || strcmp(state, "22P02") == 0 ||
		strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0;
}

static PGresult *exec(struct ctx *c, const char *sql, int n, const char *const *params)
{
	struct db *db = c->db;
	int first = c->db_calls++ == 0;

	db->sqlstate[0] = '\0';
	db->lost = 0;
	if (db_ensure(db) != 0) {
		db->lost = 1;
		return NULL;
	}
	if (db->in_tx && PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
		/* the connection was reset under an open transaction: its work is gone,
		 * and running on would commit statements one by one */
		snprintf(db->sqlstate, sizeof db->sqlstate, "08006");
		db->lost = 1;
		return NULL;
	}
	for (int attempt = 0;; attempt++) {
		PGresult *res = run(db, sql, n, params);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			arena_defer(c->a, clear_result, res);
			return res;
		}
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
		if (PQstatus(db->conn) == CONNECTION_BAD) {
			PQclear(res);
			db->lost = 1;
			/* safe to retry: nothing of this unit of work ran on the old connection */
			if (attempt == 0 && first && !db->in_tx && db_ensure(db) == 0) {
				db->lost = 0;
				continue;
			}
			return NULL;
		}
		if (stmts_stale(db, db->sqlstate) && attempt == 0 && !db->in_tx) {
			PQclear(res);
			continue; /* nothing ran: the statement failed before executing */
		}
		if (!expected_failure(db->sqlstate)) {
			metrics_event(EV_DB_ERROR);
			log_err("sql error %s: %s", db->sqlstate, PQresultErrorMessage(res));
		}
		PQclear(res);
		return NULL;
	}
}

PGresult *db_exec(struct ctx *c, const char *sql, int n, const char *const *params)
{
	PGresult *res = exec(c, sql, n, params);

	if (!c->db->in_tx)
		publish_changes(c->db); /* a statement of its own commits as it ends */
	return res;
}

int db_script(struct ctx *c, const char *sql, const char *what)
{
	struct db *db = c->db;

	db->sqlstate[0] = '\0';
	if (db_ensure(db) != 0)
		return -1;
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
		log_err("%s failed: %s", what, PQresultErrorMessage(res));
	}
	PQclear(res);
	if (!db->in_tx)
		publish_changes(db);
	return ok ? 0 : -1;
}

int db_begin(struct ctx *c)
{
	if (c->db->in_tx) {
		log_err("db_begin inside an open transaction");
		snprintf(c->db->sqlstate, sizeof c->db->sqlstate, "25001");
		return -1;
	}
	if (!db_query0(c, "BEGIN"))
		return -1;
	c->db->in_tx = 1;
	return 0;
}

int db_commit(struct ctx *c)
{
	PGresult *res = db_query0(c, "COMMIT");
	c->db->in_tx = 0;
	publish_changes(c->db);
	if (!res)
		return -1;
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		/* the transaction had failed: the server rolled it back */
		snprintf(c->db->sqlstate, sizeof c->db->sqlstate, "25P02");
		return -1;
	}
	return 0;
}

void db_rollback(struct ctx *c)
{
	struct db *db = c->db;

	db->in_tx = 0;
	db->changed = 0; /* nothing it changed happened */
	if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

enum outcome db_tx(struct ctx *c, enum outcome (*fn)(struct ctx *c, void *arg), void *arg)
{
	if (db_begin(c) != 0)
		return E_DB;
	enum outcome o = fn(c, arg);
	if (o != OK) {
		db_rollback(c); /* keeps the failure's SQLSTATE for the caller's answer */
		return o;
	}
	return db_commit(c) == 0 ? OK : E_DB;
}

void db_done(struct db *db)
{
	int open = db->in_tx;

	db->in_tx = 0;
	db->changed = 0;
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		log_warn("rolling back a transaction left open");
		PQclear(PQexec(db->conn, "ROLLBACK"));
	} else if (open) {
		log_warn("a transaction was left open");
	}
}

/* The column named col. PQfnumber folds a copy of the name to lower case (a
 * malloc) on every call; our names are lower case already. */
int db_col(const PGresult *res, const char *col)
{
	int n = PQnfields(res);

	for (int i = 0; i < n; i++)
		if (strcmp(PQfname(res, i), col) == 0)
			return i;
	return PQfnumber(res, col); /* a quoted or mixed-case name */
}

const char *db_cell(const PGresult *res, int row, int col)
{
	if (col < 0 || row >= PQntuples(res) || PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

const char *db_val(PGresult *res, int row, const char *col)
{
	return db_cell(res, row, db_col(res, col));
}

int db_bool(PGresult *res, int row, const char *col)
{
	const char *v = db_val(res, row, col);
	return v && v[0] == 't';
}
