/* cli.c: migrations (one transaction each, recorded), seeding, admin accounts. */
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth.h"
#include "cli.h"
#include "conf.h"
#include "routes.h"
#include "util.h"

static PGconn *connect_db(void)
{
	const char *keys[] = { "host", "port", "user", "password", "dbname", "connect_timeout", NULL };
	const char *vals[] = { cfg->db_host, cfg->db_port, cfg->db_user, cfg->db_password, cfg->db_name, "5", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 0);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "lafete: cannot connect to the database: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

static int ok(PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Runs sql; prints the error and returns -1 on failure. */
static int run(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	int good = ok(r);
	if (!good)
		fprintf(stderr, "lafete: %s failed: %s", what, PQresultErrorMessage(r));
	PQclear(r);
	return good ? 0 : -1;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_put(&b, chunk, n);
	fclose(f);
	return buf_detach(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.sql files of dir, sorted by name. Caller frees each and the array. */
static char **sql_files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".sql") != 0)
			continue;
		names = xrealloc(names, (*n + 1) * sizeof *names);
		names[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof *names, cmp_str);
	return names;
}

/* Applies one file in one transaction and records it. */
static int apply(PGconn *c, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *sql = read_file(path);
	if (!sql) {
		fprintf(stderr, "lafete: cannot read %s\n", path);
		return -1;
	}
	int rc = run(c, "BEGIN", "BEGIN");
	if (rc == 0)
		rc = run(c, sql, name);
	if (rc == 0) {
		const char *p[1] = { name };
		PGresult *r = PQexecParams(c, "INSERT INTO schema_migrations(version) VALUES ($1)", 1, NULL, p, NULL, NULL, 0);
		rc = ok(r) ? 0 : -1;
		PQclear(r);
	}
	if (rc == 0) {
		PGresult *r = PQexec(c, "COMMIT");
		rc = ok(r) && strcmp(PQcmdStatus(r), "COMMIT") == 0 ? 0 : -1;
		PQclear(r);
	} else {
		PQclear(PQexec(c, "ROLLBACK"));
	}
	free(sql);
	if (rc == 0)
		printf("applied %s\n", name);
	return rc;
}

int cli_migrate(const char *dir)
{
	PGconn *c = connect_db();
	size_t n;
	int rc = 0;

	if (!c)
		return 1;
	/* one migrator at a time, whatever starts us */
	if (run(c, "SELECT pg_advisory_lock(365001)", "lock") != 0 ||
	    run(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY,"
		   " applied_at timestamptz NOT NULL DEFAULT now())", "schema_migrations") != 0) {
		PQfinish(c);
		return 1;
	}
	char **files = sql_files(dir, &n);
	if (!files && n == 0)
		fprintf(stderr, "lafete: no migrations in %s\n", dir);
	for (size_t i = 0; i < n; i++) {
		const char *p[1] = { files[i] };
		PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, p, NULL, NULL, 0);
		int done = ok(r) && PQntuples(r) == 1;
		PQclear(r);
		if (!done && rc == 0 && apply(c, dir, files[i]) != 0)
			rc = 1;
		free(files[i]);
	}
	free(files);
	PQfinish(c);
	return rc;
}

/* Creates the user as ADMIN, or promotes an existing one. */
static int upsert_admin(PGconn *c, const char *email, const char *password, const char *name)
{
	char hash[PASSWORD_HASH_MAX] = "";
	char lower[256];
	size_t i;

	for (i = 0; email[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)tolower((unsigned char)email[i]);
	lower[i] = '\0';
	if (password && auth_hash_password(password, hash) != 0) {
		fprintf(stderr, "lafete: password hashing failed\n");
		return 1;
	}
	if (!password) {
		/* promoting needs no password; creating does: ask before writing anything */
		const char *q[1] = { lower };
		PGresult *e = PQexecParams(c, "SELECT 1 FROM users WHERE lower(email) = $1", 1, NULL, q, NULL, NULL, 0);
		int exists = ok(e) && PQntuples(e) == 1;
		PQclear(e);
		if (!exists) {
			fprintf(stderr, "lafete: a new admin needs --password\n");
			return 1;
		}
	}
	const char *p[3] = { lower, password ? hash : NULL, name };
	PGresult *r = PQexecParams(c,
		"INSERT INTO users (email, password_hash, name, phone, role) "
		"VALUES ($1, $2, $3, '+910000000000', 'ADMIN') "
		"ON CONFLICT ((lower(email))) DO UPDATE SET role = 'ADMIN', "
		"password_hash = COALESCE($2, users.password_hash), deleted_at = NULL "
		"RETURNING (xmax = 0) AS created",
		3, NULL, p, NULL, NULL, 0);
	if (!ok(r)) {
		fprintf(stderr, "lafete: cannot save the admin: %s", PQresultErrorMessage(r));
		PQclear(r);
		return 1;
	}
	printf("%s admin %s\n", PQgetvalue(r, 0, 0)[0] == 't' ? "created" : "updated", lower);
	PQclear(r);
	return 0;
}

int cli_seed(const char *dir)
{
	PGconn *c = connect_db();
	size_t n;
	int rc = 0;

	if (!c)
		return 1;
	if (cfg->admin_email && cfg->admin_password) {
		const char *p[1] = { cfg->admin_email };
		PGresult *r = PQexecParams(c, "SELECT 1 FROM users WHERE lower(email) = lower($1)", 1, NULL, p, NULL, NULL, 0);
		int exists = ok(r) && PQntuples(r) == 1;
		PQclear(r);
		/* created when absent; an operator's later password change is not undone */
		if (!exists)
			rc = upsert_admin(c, cfg->admin_email, cfg->admin_password, "Kitchen Admin");
	}
	char **files = sql_files(dir, &n);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		char *sql = read_file(path);
		/* seed files are idempotent (ON CONFLICT DO NOTHING) */
		if (!sql || run(c, sql, files[i]) != 0)
			rc = 1;
		free(sql);
		free(files[i]);
	}
	free(files);
	PQfinish(c);
	return rc;
}

int cli_admin(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "password", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *email = NULL, *password = getenv("ADMIN_NEW_PASSWORD"), *name = "Admin";
	int o;

	while ((o = getopt_long(argc, argv, "e:p:n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'e': email = optarg; break;
		case 'p': password = optarg; break;
		case 'n': name = optarg; break;
		case 'h':
			puts("usage: lafete admin --email EMAIL [--password PASSWORD] [--name NAME]\n"
			     "Creates an admin account, or promotes an existing account to admin.\n"
			     "The password may also come from ADMIN_NEW_PASSWORD (keeps it out of ps).");
			return 0;
		default:
			return 2;
		}
	}
	if (!email || !strchr(email, '@') || strlen(email) > 254) {
		fprintf(stderr, "lafete admin: --email with a valid address is required (see --help)\n");
		return 2;
	}
	if (password && (strlen(password) < 8 || strlen(password) > 128)) {
		fprintf(stderr, "lafete admin: the password must be 8 to 128 characters\n");
		return 2;
	}
	PGconn *c = connect_db();
	if (!c)
		return 1;
	int rc = upsert_admin(c, email, password, name);
	PQfinish(c);
	return rc;
}

int cli_socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		return 0;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int in_use = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return in_use;
}

int cli_routes(void)
{
	static const char *auth[] = { "none", "user", "admin", "dispatch", "page" };

	for (size_t i = 0; i < routes_count; i++)
		printf("%s %s %s\n", routes[i].method, routes[i].pattern, auth[routes[i].auth]);
	return 0;
}
