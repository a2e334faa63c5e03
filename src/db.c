/* db.c: connection, reconnect, parameterised statements, transactions. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "util.h"

/* Session settings every connection starts with: times in answers are the shop's clock. */
static int session_setup(PGconn *conn)
{
	PGresult *r = PQexec(conn, "SET TIME ZONE 'Asia/Kolkata'");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : -1;
}

int db_connect(struct db *db, const char *app_name)
{
	const char *keys[] = { "host", "port", "user", "password", "dbname",
			       "connect_timeout", "application_name", NULL };
	const char *vals[] = { cfg->db_host, cfg->db_port, cfg->db_user, cfg->db_password,
			       cfg->db_name, "3", app_name, NULL };

	db->app_name = app_name;
	db->in_tx = 0;
	db->conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		log_warn("database connection failed: %s", PQerrorMessage(db->conn));
		return -1;
	}
	return session_setup(db->conn);
}

void db_disconnect(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
}

int db_ensure(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (!db->conn)
		return db_connect(db, db->app_name ? db->app_name : "lafete");
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	log_info("database connection re-established");
	return session_setup(db->conn);
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

PGresult *db_exec(struct ctx *c, const char *sql, int n, const char *const *params)
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
		PGresult *res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
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
		if (!expected_failure(db->sqlstate))
			log_err("sql error %s: %s", db->sqlstate, PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
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
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		log_warn("rolling back a transaction left open");
		PQclear(PQexec(db->conn, "ROLLBACK"));
	} else if (open) {
		log_warn("a transaction was left open");
	}
}

const char *db_val(PGresult *res, int row, const char *col)
{
	int c = PQfnumber(res, col);
	if (c < 0 || row >= PQntuples(res) || PQgetisnull(res, row, c))
		return NULL;
	return PQgetvalue(res, row, c);
}

int db_bool(PGresult *res, int row, const char *col)
{
	const char *v = db_val(res, row, col);
	return v && v[0] == 't';
}
