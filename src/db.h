/* db.h: one PostgreSQL connection, queries with parameters only, transactions
 * with one owner. Everything takes the caller's context (struct ctx). */
#ifndef APP_DB_H
#define APP_DB_H

#include <libpq-fe.h>

#include "ctx.h"
#include "outcome.h"

struct db {
	PGconn *conn;
	char sqlstate[6];      /* of the last failure; "" when none */
	int lost;	       /* the last failure was a lost connection */
	int in_tx;	       /* a transaction begun by db_begin is open */
	const char *app_name;  /* application_name, e.g. "lafete" */
	struct db_stmt *stmts; /* statements prepared on this session (db.c) */
	int nstmts;
	unsigned stmt_gen; /* in the names: a forgotten statement's name is never reused */
	unsigned changed;  /* topics (shared.h) the open work changed, per the server's notices */
	int quiet;	   /* drop the server's notices below WARNING instead of logging them */
};

/* Connects db with the configuration's DB_* settings, on the shop's clock
 * (Asia/Kolkata, a startup parameter: no session state to lose behind a
 * pooler). 0, or -1 logged. */
int db_connect(struct db *db, const char *app_name);
void db_disconnect(struct db *db);
/* Resets a broken connection (before each unit of work). 0 when usable. */
int db_ensure(struct db *db);

/* Runs sql with text parameters (NULL = SQL NULL). Each distinct statement
 * text is prepared once per session and then executed by name (not with
 * DB_POOL_MODE=transaction: a pooler's sessions change under us). The result is cleared with
 * the context's arena. On failure returns NULL and records the SQLSTATE
 * (db_sqlstate); a lost connection is reset and, if nothing of this unit of
 * work ran yet and no transaction is open, the statement is retried once. */
PGresult *db_exec(struct ctx *c, const char *sql, int n, const char *const *params);
#define DB_NPARAMS(...) ((int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)))
#define db_query(c, sql, ...) db_exec((c), (sql), DB_NPARAMS(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ })
#define db_query0(c, sql) db_exec((c), (sql), 0, NULL)

/* Runs a file of SQL statements shipped with the app (migrations, seeds),
 * never text from a client: the simple protocol, no parameters. 0, or -1
 * with the server's message logged. */
int db_script(struct ctx *c, const char *sql, const char *what);

/* The SQLSTATE of the last failure ("" when none), and whether the server is gone. */
const char *db_sqlstate(const struct ctx *c);
int db_lost(const struct ctx *c);
/* 1 when the last failure was a serialization failure or deadlock (try again). */
int db_conflict(const struct ctx *c);

/* Transactions. Whoever calls db_begin owns the transaction and ends it with
 * db_commit or db_rollback; functions documented "in the caller's transaction"
 * require one (db_in_tx) and never open or close it. db_begin refuses to nest.
 * db_commit returns 0 only when the server really committed (a failed
 * transaction "commits" as ROLLBACK). */
int db_begin(struct ctx *c);
int db_commit(struct ctx *c);
void db_rollback(struct ctx *c);
int db_in_tx(const struct ctx *c);

/* Runs fn(c, arg) in a transaction of its own: commits when fn returns OK,
 * rolls back otherwise. Returns fn's outcome, or E_DB when BEGIN or COMMIT
 * failed (see db_sqlstate). */
enum outcome db_tx(struct ctx *c, enum outcome (*fn)(struct ctx *c, void *arg), void *arg);

/* After every unit of work: roll back anything left open (logged). */
void db_done(struct db *db);

/* Row helpers */
const char *db_val(PGresult *res, int row, const char *col); /* NULL for SQL NULL */
/* The same in two steps, for builders that read many rows: the column's number
 * (-1 when absent), then a cell (NULL for SQL NULL or an absent column). */
int db_col(const PGresult *res, const char *col);
const char *db_cell(const PGresult *res, int row, int col);
int db_bool(PGresult *res, int row, const char *col);

/* RFC 3339 text of a timestamptz column in the session's zone (Asia/Kolkata). */
#define SQL_TIME(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SSOF')"
#endif
