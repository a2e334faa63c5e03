/* db.h: the worker's one PostgreSQL connection, queries with parameters only. */
#ifndef APP_DB_H
#define APP_DB_H

#include <libpq-fe.h>

struct req;

/* Connects (after fork). Returns 0, or -1 with the reason logged. */
int db_connect(void);
void db_disconnect(void);
PGconn *db_conn(void);
/* Called before each request: resets a broken connection. 0 when usable. */
int db_ensure(void);

/* Runs sql with text parameters (NULL = SQL NULL). The result is cleared with
 * the request's arena. On failure returns NULL and records the SQLSTATE in
 * db_sqlstate(); a lost connection is reset and, if nothing of this request
 * ran yet and no transaction is open, the statement is retried once. */
PGresult *db_exec(struct req *r, const char *sql, int n, const char *const *params);
#define DB_NPARAMS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
#define db_query(r, sql, ...) db_exec((r), (sql), DB_NPARAMS(__VA_ARGS__), (const char *const[]){__VA_ARGS__})
#define db_query0(r, sql) db_exec((r), (sql), 0, NULL)

/* The SQLSTATE of the last failure ("" when none), and whether the server is gone. */
const char *db_sqlstate(void);
int db_lost(void);

/* Transactions. db_commit returns 0 only when the server really committed
 * (an aborted transaction "commits" as ROLLBACK). */
int db_begin(struct req *r);
int db_commit(struct req *r);
void db_rollback(struct req *r);
/* After every request: roll back anything a handler left open. */
void db_request_done(void);

/* Row helpers */
const char *db_val(PGresult *res, int row, const char *col);	/* NULL for SQL NULL */
int db_bool(PGresult *res, int row, const char *col);



/* RFC 3339 text of a timestamptz column in the session's zone (Asia/Kolkata). */
#define SQL_TIME(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SSOF')"
#endif
