/* main.c: the master: configuration, socket, prefork, supervision, signals. */
#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "listener.h"
#include "metrics.h"
#include "shared.h"
#include "util.h"
#include "worker.h"

#define MAX_WORKERS 256
#define STOP_GRACE_SECONDS 10

static volatile sig_atomic_t got_term, got_hup;

struct slot {
	pid_t pid;
	int64_t started_ms;
};

static struct slot slots[MAX_WORKERS];
static struct slot listener; /* pid 0 when not running (DB_POOL_MODE=transaction) */
static int listen_fds[FCGI_MAX_LISTEN];

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static pid_t spawn(int no)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		/* exit, not _exit: LeakSanitizer checks the worker at exit */
		exit(worker_run(listen_fds, cfg->nlisten, no));
	}
	slots[no].pid = pid;
	slots[no].started_ms = mono_ms();
	return pid;
}

static void spawn_listener(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		for (int i = 0; i < cfg->nlisten; i++)
			close(listen_fds[i]); /* it serves no requests */
		exit(listener_run());
	}
	listener.pid = pid;
	listener.started_ms = mono_ms();
}

/* The listener died: until its successor watches, workers must not trust the
 * catalog generation (a crash leaves its last beat fresh for a while). */
static void listener_died(int st)
{
	atomic_store(&shared()->listener_beat_ms, 0);
	metrics_event(EV_LISTENER_RESTART);
	log_warn("listener %d %s %d; restarting it", (int)listener.pid,
		 WIFSIGNALED(st) ? "died of signal" : "exited with", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	if (mono_ms() - listener.started_ms < 1000)
		usleep(200000);
	spawn_listener();
}

static int slot_of(pid_t pid)
{
	for (int i = 0; i < cfg->workers; i++)
		if (slots[i].pid == pid)
			return i;
	return -1;
}

/* Sends sig to every child and waits up to grace seconds, then SIGKILLs. */
static void stop_children(pid_t *pids, int n, int grace)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	int64_t deadline = mono_ms() + grace * 1000;
	int left = n;
	while (left > 0) {
		left = 0;
		for (int i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
				pids[i] = 0;
			else
				left++;
		}
		if (left && mono_ms() > deadline) {
			/* libfcgi admits a race in accept(); do not wait forever */
			for (int i = 0; i < n; i++)
				if (pids[i] > 0) {
					log_warn("worker %d did not stop in time: SIGKILL", (int)pids[i]);
					kill(pids[i], SIGKILL);
					waitpid(pids[i], NULL, 0);
					pids[i] = 0;
				}
			break;
		}
		if (left)
			usleep(20000);
	}
}

/* SIGHUP: start a fresh generation, then retire the old one gracefully. */
static void reload(void)
{
	pid_t old[MAX_WORKERS];

	log_info("SIGHUP: replacing %d workers", cfg->workers);
	for (int i = 0; i < cfg->workers; i++) {
		old[i] = slots[i].pid;
		slots[i].pid = 0;
		spawn(i);
	}
	stop_children(old, cfg->workers, STOP_GRACE_SECONDS);
}

static void supervise(void)
{
	while (!got_term) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (got_hup) {
			got_hup = 0;
			reload();
			continue;
		}
		if (pid <= 0) {
			usleep(50000); /* signals cut this short; a dead worker waits at most 50 ms */
			continue;
		}
		if (listener.pid && pid == listener.pid) {
			listener_died(st);
			continue;
		}
		int no = slot_of(pid);
		if (no < 0)
			continue; /* an old generation's child */
		shared_worker_gone(no);
		metrics_event(WIFSIGNALED(st) ? EV_WORKER_KILLED : EV_WORKER_EXIT);
		if (WIFSIGNALED(st))
			log_warn("worker %d died of signal %d; replacing it", (int)pid, WTERMSIG(st));
		else
			log_warn("worker %d exited with %d; replacing it", (int)pid, WEXITSTATUS(st));
		/* a worker that dies at once (crash loop) is not respawned in a tight loop */
		if (mono_ms() - slots[no].started_ms < 1000)
			usleep(200000);
		spawn(no);
	}
}

/* A unix socket through libfcgi, which unlinks the path first: never one a
 * running instance still answers on. -1 after saying why. */
static int open_unix(const char *path)
{
	if (access(path, F_OK) == 0 && cli_socket_in_use(path)) {
		fprintf(stderr, "lafete: %s is in use by a running instance\n", path);
		return -1;
	}
	/* 0660: nginx reaches it through the group; any other local user talking to the
	 * workers directly would bypass its rate limits, TLS and the dispatch rule */
	mode_t old = umask(0117);
	int fd = FCGX_OpenSocket(path, 1024);
	umask(old);
	if (fd < 0) {
		fprintf(stderr, "lafete: cannot listen on %s\n", path);
		return -1;
	}
	if (cfg->fcgi_socket_gid >= 0 && chown(path, (uid_t)-1, (gid_t)cfg->fcgi_socket_gid) != 0) {
		fprintf(stderr, "lafete: cannot give %s to FCGI_SOCKET_GROUP: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* A TCP socket, opened here: libfcgi's takes IPv4 only and exits on a bind
 * failure (doc/pitfalls.md §1.2). -1 after saying why. */
static int open_tcp(const struct net_endpoint *e)
{
	int one = 1, fd = socket(e->sa.ss_family, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (const struct sockaddr *)&e->sa, e->len) != 0 || listen(fd, 1024) != 0) {
		fprintf(stderr, "lafete: cannot listen on %s: %s\n", e->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void unlink_endpoints(int n)
{
	for (int i = 0; i < n; i++)
		if (cfg->listen[i].is_unix)
			unlink(cfg->listen[i].text);
}

/* Every endpoint, non-blocking: workers wait on all of them and accept what is
 * ready (worker.c). 0, or -1 after saying why. */
static int open_endpoints(void)
{
	for (int i = 0; i < cfg->nlisten; i++) {
		const struct net_endpoint *e = &cfg->listen[i];
		int fd = e->is_unix ? open_unix(e->text) : open_tcp(e);
		if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
			fprintf(stderr, "lafete: %s: %s\n", e->text, strerror(errno));
			fd = -1;
		}
		if (fd < 0) {
			unlink_endpoints(i); /* the sockets made so far */
			return -1;
		}
		listen_fds[i] = fd;
	}
	return 0;
}

static int serve(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	pid_t pids[MAX_WORKERS + 1];
	char where[FCGI_MAX_LISTEN * 130] = "";

	if (FCGX_Init() != 0) {
		fprintf(stderr, "lafete: FCGX_Init failed\n");
		return 1;
	}
	if (open_endpoints() != 0)
		return 1;
	if (shared_init() != 0 || metrics_init() != 0) {
		fprintf(stderr, "lafete: cannot map shared memory: %s\n", strerror(errno));
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (int i = 0; i < cfg->nlisten; i++)
		snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s", i ? ", " : "", cfg->listen[i].text);
	log_info("master %d listening on %s with %d workers", (int)getpid(), where, cfg->workers);
	if (!cfg->db_pool_transaction)
		spawn_listener();
	for (int i = 0; i < cfg->workers; i++)
		spawn(i);
	supervise();
	log_info("stopping: letting in-flight requests finish");
	for (int i = 0; i < cfg->workers; i++)
		pids[i] = slots[i].pid;
	pids[cfg->workers] = listener.pid;
	stop_children(pids, cfg->workers + 1, STOP_GRACE_SECONDS);
	unlink_endpoints(cfg->nlisten);
	log_info("stopped");
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: lafete [serve]           run the FastCGI master and its workers\n"
	      "       lafete check-config      validate the configuration and exit\n"
	      "       lafete routes            print the route table (method, path, auth)\n"
	      "       lafete migrate [DIR]     apply schema/*.sql migrations not yet applied\n"
	      "       lafete seed [DIR]        create the admin from ADMIN_EMAIL/ADMIN_PASSWORD, run seed/*.sql\n"
	      "       lafete admin --email E [--password P] [--name N]   create or promote an admin\n"
	      "       lafete unlock --email E  lift the failed-login locks on an email\n"
	      "configuration: environment, then .env (see .env.example)\n",
	      f);
}

int main(int argc, char **argv)
{
	char err[4096];
	const char *cmd = argc > 1 ? argv[1] : "serve";

	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "routes") == 0)
		return cli_routes();
	if (conf_load(getenv("LAFETE_ENV_FILE"), err, sizeof err) != 0) {
		fprintf(stderr, "lafete: invalid configuration:\n%s", err);
		return 1;
	}
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "lafete: library initialisation failed\n");
		return 1;
	}
	if (strcmp(cmd, "serve") == 0)
		return serve();
	if (strcmp(cmd, "check-config") == 0)
		return puts("configuration ok") < 0;
	if (strcmp(cmd, "migrate") == 0)
		return cli_migrate(argc > 2 ? argv[2] : LAFETE_DATADIR "/schema");
	if (strcmp(cmd, "seed") == 0)
		return cli_seed(argc > 2 ? argv[2] : LAFETE_DATADIR "/seed");
	if (strcmp(cmd, "admin") == 0)
		return cli_admin(argc - 1, argv + 1);
	if (strcmp(cmd, "unlock") == 0)
		return cli_unlock(argc - 1, argv + 1);
	fprintf(stderr, "lafete: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
