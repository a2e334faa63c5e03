/* cli.c: migrations (one transaction each, recorded), seeding, admin accounts. */
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "accounts.h"
#include "arena.h"
#include "auth.h"
#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "util.h"

/* One unit of work of the CLI: its own arena and connection, as a worker's request has. */
struct cli {
	struct ctx ctx;
	struct db db;
};

static int cli_open(struct cli *k)
{
	memset(k, 0, sizeof *k);
	k->ctx.a = arena_new();
	k->ctx.db = &k->db;
	k->ctx.who.system = "system:cli";
	k->db.quiet = 1; /* filtered here, not SET: behind a pooler a SET outlives us */
	if (db_connect(&k->db, "lafete-cli") != 0) {
		fprintf(stderr, "lafete: cannot connect to the database\n");
		db_disconnect(&k->db);
		arena_free(k->ctx.a);
		return -1;
	}
	return 0;
}

static void cli_close(struct cli *k)
{
	db_done(&k->db);
	db_disconnect(&k->db);
	arena_free(k->ctx.a);
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

struct migration {
	const char *name;
	const char *sql;
	int applied; /* 0: another migrator had applied it */
};

/* One migrator at a time, whatever starts us: a lock of the transaction, which
 * its end releases. A session's lock would stay with a pooler's server
 * connection (DB_POOL_MODE=transaction) after we are gone. */
static int migrations_lock(struct ctx *c)
{
	return db_query0(c, "SELECT pg_advisory_xact_lock(365001)") ? 0 : -1;
}

static enum outcome migrations_table_in_tx(struct ctx *c, void *arg)
{
	(void)arg;
	if (migrations_lock(c) != 0 ||
	    !db_query0(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY,"
			  " applied_at timestamptz NOT NULL DEFAULT now())"))
		return E_DB;
	return OK;
}

static enum outcome apply_in_tx(struct ctx *c, void *arg)
{
	struct migration *m = arg;

	if (migrations_lock(c) != 0)
		return E_DB;
	/* asked again under the lock: another migrator may have applied it meanwhile */
	PGresult *r = db_query(c, "SELECT 1 FROM schema_migrations WHERE version = $1", m->name);
	if (!r)
		return E_DB;
	if (PQntuples(r) == 1)
		return OK;
	if (db_script(c, m->sql, m->name) != 0 ||
	    !db_query(c, "INSERT INTO schema_migrations(version) VALUES ($1)", m->name))
		return E_DB;
	m->applied = 1;
	return OK;
}

/* Applies one file in one transaction and records it. */
static int apply(struct ctx *c, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *sql = read_file(path);
	if (!sql) {
		fprintf(stderr, "lafete: cannot read %s\n", path);
		return -1;
	}
	struct migration m = { name, sql, 0 };
	int rc = db_tx(c, apply_in_tx, &m) == OK ? 0 : -1;
	free(sql);
	if (rc == 0 && m.applied)
		printf("applied %s\n", name);
	else if (rc != 0)
		fprintf(stderr, "lafete: migration %s failed\n", name);
	return rc == 0 ? 0 : -1;
}

int cli_migrate(const char *dir)
{
	struct cli k;
	size_t n;
	int rc = 0;

	if (cli_open(&k) != 0)
		return 1;
	if (db_tx(&k.ctx, migrations_table_in_tx, NULL) != OK) {
		cli_close(&k);
		return 1;
	}
	char **files = sql_files(dir, &n);
	if (!files && n == 0)
		fprintf(stderr, "lafete: no migrations in %s\n", dir);
	for (size_t i = 0; i < n; i++) {
		PGresult *r = db_query(&k.ctx, "SELECT 1 FROM schema_migrations WHERE version = $1", files[i]);
		int done = r && PQntuples(r) == 1;
		if (!done && rc == 0 && apply(&k.ctx, dir, files[i]) != 0)
			rc = 1;
		free(files[i]);
	}
	free(files);
	cli_close(&k);
	return rc;
}

/* Creates the user as ADMIN, or promotes an existing one. */
/* A staff account needs a phone, and every phone the API answers is an Indian mobile
 * (+91 then 6-9 and nine digits): a new admin takes the kitchen's STORE_PHONE, or, when
 * that is not a mobile, a placeholder of the right shape (the admin changes it with
 * PATCH /api/me). */
static const char *admin_phone(char out[16])
{
	if (cfg->store_phone && normalize_phone(cfg->store_phone, out) == 0)
		return out;
	return "+919000000000";
}

static int upsert_admin(struct ctx *c, const char *email, const char *password, const char *name)
{
	char hash[PASSWORD_HASH_MAX] = "";
	char lower[256];
	char phone[16];
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
		PGresult *e = db_query(c, "SELECT 1 FROM users WHERE lower(email) = $1", lower);
		if (!e || PQntuples(e) != 1) {
			fprintf(stderr, "lafete: a new admin needs --password\n");
			return 1;
		}
	}
	PGresult *r = db_query(c,
			       "INSERT INTO users (email, password_hash, name, phone, role) "
			       "VALUES ($1, $2, $3, $4, 'ADMIN') "
			       "ON CONFLICT ((lower(email))) DO UPDATE SET role = 'ADMIN', "
			       "password_hash = COALESCE($2, users.password_hash), deleted_at = NULL "
			       "RETURNING (xmax = 0) AS created",
			       lower, password ? hash : NULL, name, admin_phone(phone));
	if (!r) {
		fprintf(stderr, "lafete: cannot save the admin\n");
		return 1;
	}
	printf("%s admin %s\n", db_bool(r, 0, "created") ? "created" : "updated", lower);
	return 0;
}

int cli_seed(const char *dir)
{
	struct cli k;
	size_t n;
	int rc = 0;

	if (cli_open(&k) != 0)
		return 1;
	if (cfg->admin_email && cfg->admin_password) {
		PGresult *r = db_query(&k.ctx, "SELECT 1 FROM users WHERE lower(email) = lower($1)", cfg->admin_email);
		/* created when absent; an operator's later password change is not undone */
		if (!r)
			rc = 1;
		else if (PQntuples(r) == 0)
			rc = upsert_admin(&k.ctx, cfg->admin_email, cfg->admin_password, "Kitchen Admin");
	}
	/* admins seeded before the phone rule had "+910000000000", which is no mobile */
	char phone[16];
	if (rc == 0 && !db_query(&k.ctx, "UPDATE users SET phone = $1, updated_at = now() "
					 "WHERE role = 'ADMIN' AND phone = '+910000000000'",
				 admin_phone(phone)))
		rc = 1;
	char **files = sql_files(dir, &n);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		char *sql = read_file(path);
		/* seed files are idempotent (ON CONFLICT DO NOTHING) */
		if (!sql || db_script(&k.ctx, sql, files[i]) != 0)
			rc = 1;
		free(sql);
		free(files[i]);
	}
	free(files);
	cli_close(&k);
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
	const char *why = password ? conf_admin_password_problem(password) : NULL;
	if (why && !cfg->development) {
		fprintf(stderr, "lafete admin: the password %s; an admin's needs at least %d characters outside development mode\n",
			why, ADMIN_PASSWORD_MIN_CHARS);
		return 2;
	}
	struct cli k;
	if (cli_open(&k) != 0)
		return 1;
	int rc = upsert_admin(&k.ctx, email, password, name);
	cli_close(&k);
	return rc;
}

int cli_unlock(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *email = NULL;
	int o, clients, throttled;

	while ((o = getopt_long(argc, argv, "e:h", opts, NULL)) != -1) {
		switch (o) {
		case 'e': email = optarg; break;
		case 'h':
			puts("usage: lafete unlock --email EMAIL\n"
			     "Lifts the failed-login locks on EMAIL: every client address's back-off and\n"
			     "the email's throttle. Addresses it has signed in from stay known.");
			return 0;
		default:
			return 2;
		}
	}
	if (!email) {
		fprintf(stderr, "lafete unlock: --email is required (see --help)\n");
		return 2;
	}
	struct cli k;
	if (cli_open(&k) != 0)
		return 1;
	enum outcome r = account_unlock(&k.ctx, email, &clients, &throttled);
	cli_close(&k);
	if (r == E_INVALID_INPUT) {
		fprintf(stderr, "lafete unlock: %s is not an email address\n", email);
		return 2;
	}
	if (r != OK) {
		fprintf(stderr, "lafete unlock: the database failed\n");
		return 1;
	}
	char em[256];
	normalize_email(email, em);
	printf("unlocked %s: %d client address%s, %s\n", em, clients, clients == 1 ? "" : "es",
	       throttled ? "and the email's throttle" : "no throttle held");
	return 0;
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

	for (size_t i = 0; i < routes_count; i++) {
		/* as OpenAPI writes a path: {id}, without the capture's type */
		printf("%s ", routes[i].method);
		for (const char *p = routes[i].pattern; *p; p++) {
			if (*p == ':' && strchr(p, '}') && (!strchr(p, '/') || strchr(p, '}') < strchr(p, '/')))
				p = strchr(p, '}');
			putchar(*p);
		}
		printf(" %s\n", auth[routes[i].auth]);
	}
	return 0;
}
