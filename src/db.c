/* db.c: connection, reconnect, parameterised statements, transactions. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "http.h"
#include "util.h"

static PGconn *conn;
static char last_state[6];
static int lost;

PGconn *db_conn(void)
{
	return conn;
}

int db_connect(void)
{
	const char *keys[] = { "host", "port", "user", "password", "dbname",
			       "connect_timeout", "application_name", NULL };
	const char *vals[] = { cfg->db_host, cfg->db_port, cfg->db_user, cfg->db_password,
			       cfg->db_name, "3", "lafete", NULL };

	conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		log_warn("database connection failed: %s", PQerrorMessage(conn));
		return -1;
	}
	/* times in answers are the shop's clock */
	PGresult *r = PQexec(conn, "SET TIME ZONE 'Asia/Kolkata'");
	PQclear(r);
	return 0;
}

void db_disconnect(void)
{
	PQfinish(conn);
	conn = NULL;
}

int db_ensure(void)
{
	if (conn && PQstatus(conn) == CONNECTION_OK)
		return 0;
	if (!conn)
		return db_connect();
	PQreset(conn);
	if (PQstatus(conn) != CONNECTION_OK)
		return -1;
	PGresult *r = PQexec(conn, "SET TIME ZONE 'Asia/Kolkata'");
	PQclear(r);
	log_info("database connection re-established");
	return 0;
}

const char *db_sqlstate(void)
{
	return last_state;
}

int db_lost(void)
{
	return lost;
}

static void clear_result(void *p)
{
	PQclear(p);
}

PGresult *db_exec(struct req *r, const char *sql, int n, const char *const *params)
{
	int first = r->db_calls++ == 0;

	last_state[0] = '\0';
	lost = 0;
	if (db_ensure() != 0) {
		lost = 1;
		return NULL;
	}
	for (int attempt = 0;; attempt++) {
		int idle = PQtransactionStatus(conn) == PQTRANS_IDLE;
		PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			arena_defer(r->a, clear_result, res);
			return res;
		}
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(last_state, sizeof last_state, "%s", state ? state : "");
		if (PQstatus(conn) == CONNECTION_BAD) {
			PQclear(res);
			lost = 1;
			/* safe to retry: nothing of this request has run on the old connection */
			if (attempt == 0 && first && idle && db_ensure() == 0) {
				lost = 0;
				continue;
			}
			return NULL;
		}
		/* expected outcomes (unique violations, bad input) are the caller's to report */
		if (strncmp(last_state, "23", 2) != 0 && strcmp(last_state, "22P02") != 0 &&
		    strcmp(last_state, "40001") != 0 && strcmp(last_state, "40P01") != 0)
			log_err("sql error %s: %s", last_state, PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
}

int db_begin(struct req *r)
{
	return db_query0(r, "BEGIN") ? 0 : -1;
}

int db_commit(struct req *r)
{
	PGresult *res = db_query0(r, "COMMIT");
	if (!res)
		return -1;
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		/* the transaction had failed: the server rolled it back */
		snprintf(last_state, sizeof last_state, "25P02");
		return -1;
	}
	return 0;
}

void db_rollback(struct req *r)
{
	(void)r;
	if (conn && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
}

void db_request_done(void)
{
	if (conn && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE) {
		log_warn("rolling back a transaction left open by a handler");
		PQclear(PQexec(conn, "ROLLBACK"));
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
