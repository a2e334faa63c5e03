/* worker.c: the accept loop; per-request context, routing policy, access log. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "auth.h"
#include "catalog_cache.h"
#include "conf.h"
#include "db.h"
#include "fcgi_out.h"
#include "httpc.h"
#include "http.h"
#include "jsonutil.h"
#include "metrics.h"
#include "multipart.h"
#include "netaddr.h"
#include "render.h"
#include "routes.h"
#include "shared.h"
#include "util.h"
#include "worker.h"

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static const char *param(struct req *r, const char *name)
{
	return arena_strdup(r->a, FCGX_GetParam(name, r->fcgi->envp));
}

static int media_type_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);
	if (!ctype || strncasecmp(ctype, want, n) != 0)
		return 0;
	return ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ';
}

/* Reads exactly len bytes of body. 0, or -1 when the client sent less. */
static int read_body(struct req *r, size_t len)
{
	char *b = arena_alloc(r->a, len + 1);
	size_t got = 0;

	while (got < len) {
		int chunk = len - got > (1 << 20) ? (1 << 20) : (int)(len - got);
		int n = FCGX_GetStr(b + got, chunk, r->fcgi->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	b[got] = '\0';
	r->body = b;
	r->body_len = got;
	return got == len ? 0 : -1;
}

static const char *bearer(struct req *r)
{
	const char *h = r->authorization;
	if (h && strncasecmp(h, "Bearer ", 7) == 0)
		return h + 7;
	return NULL;
}

/* The route's auth policy, in this one place. 0 to go on; -1 answered. */
static int authorize(struct req *r)
{
	const struct route *rt = r->route;
	int rc;

	switch (rt->auth) {
	case AUTH_NONE:
		return 0;
	case AUTH_DISPATCH:
		if (bearer(r) && auth_secure_equal(bearer(r), cfg->dispatch_token))
			return 0;
		return reply_error(r, 401, "UNAUTHORIZED", NULL, "A valid dispatch token is required"), -1;
	case AUTH_PAGE:
		rc = auth_load_principal(&r->ctx, cookie_get(r, "lafete_admin"));
		if (rc == -2)
			return reply_db_error(r), -1;
		if (rc != 0)
			return reply_redirect(r, arena_printf(r->a, "/admin/login?next=%s", url_encode(r->a, r->path))), -1;
		if (r->ctx.who.role != ROLE_ADMIN)
			return reply_raw(r, 403, "text/html; charset=utf-8",
					 "<!doctype html><title>Forbidden</title><p>Staff only.</p>\n", 57),
			       -1;
		return 0;
	case AUTH_USER:
	case AUTH_ADMIN:
		if (!bearer(r))
			return reply_error(r, 401, "UNAUTHORIZED", NULL, "A bearer token is required"), -1;
		rc = auth_load_principal(&r->ctx, bearer(r));
		if (rc == -2)
			return reply_db_error(r), -1;
		if (rc != 0)
			return reply_error(r, 401, "UNAUTHORIZED", NULL, "The token is invalid or expired"), -1;
		if (rt->auth == AUTH_ADMIN && r->ctx.who.role != ROLE_ADMIN)
			return reply_error(r, 403, "FORBIDDEN", NULL, "Staff only"), -1;
		return 0;
	}
	return -1;
}

/* Size, content type and parse of the body, per the route. 0 or -1 answered. */
static int take_body(struct req *r)
{
	const struct route *rt = r->route;
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->fcgi->envp);
	int64_t len = 0;

	if (cl && *cl && parse_int64(cl, 0, INT64_MAX, &len) != 0)
		return reply_error(r, 400, "BAD_REQUEST", NULL, "Invalid Content-Length"), -1;
	if (rt->body == BODY_NONE)
		return 0;
	if ((uint64_t)len > rt->max_body)
		return reply_error(r, 413, "PAYLOAD_TOO_LARGE", NULL, "The body is larger than %zu bytes", rt->max_body), -1;
	if (read_body(r, (size_t)len) != 0)
		return reply_error(r, 400, "BAD_REQUEST", NULL, "The body is shorter than its Content-Length"), -1;
	switch (rt->body) {
	case BODY_JSON: {
		char err[160];
		if (!media_type_is(r->content_type, "application/json"))
			return reply_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", NULL, "Send the body as application/json"), -1;
		r->json = json_own(r->a, json_parse_strict(r->body, r->body_len, err, sizeof err));
		if (!r->json)
			return reply_error(r, 400, "MALFORMED_JSON", NULL, "%s", err), -1;
		return 0;
	}
	case BODY_FORM:
		if (!media_type_is(r->content_type, "application/x-www-form-urlencoded"))
			return reply_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", NULL, "Send the form as urlencoded"), -1;
		if (url_has_nul(r->body))
			return reply_error(r, 400, "BAD_REQUEST", NULL, "A form value holds a NUL byte"), -1;
		return 0;
	case BODY_MULTIPART:
		if (!media_type_is(r->content_type, "multipart/form-data"))
			return reply_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", NULL, "Send the file as multipart/form-data"), -1;
		return 0;
	default:
		return 0;
	}
}

static void not_found(struct req *r, int path_known)
{
	int api = strncmp(r->path, "/api/", 5) == 0 || strcmp(r->path, "/api") == 0;

	if (path_known) {
		reply_error(r, 405, "METHOD_NOT_ALLOWED", NULL, "%s is not allowed on %s", r->method, r->path);
	} else if (api) {
		reply_error(r, 404, "NOT_FOUND", NULL, "No such resource");
	} else {
		static const char page[] = "<!doctype html><title>Not found</title><p>Not found.</p>\n";
		reply_raw(r, 404, "text/html; charset=utf-8", page, sizeof page - 1);
	}
}

/* A multipart body is parsed once, here; a malformed one is the API's 400,
 * while a page's form answers "form expired" through the CSRF check. */
static int take_parts(struct req *r)
{
	char err[160];

	if (r->route->body != BODY_MULTIPART)
		return 0;
	r->parts = arena_alloc(r->a, MP_MAX_PARTS * sizeof *r->parts);
	r->nparts = multipart_parse(r->a, r->content_type, r->body, r->body_len, r->parts, MP_MAX_PARTS, err, sizeof err);
	if (r->nparts >= 0)
		return 0;
	r->mp_error = arena_strdup(r->a, err);
	if (r->route->csrf)
		return 0;
	return reply_error(r, 400, "MALFORMED_MULTIPART", NULL, "%s", err), -1;
}

/* Form routes carry the session's CSRF token in a "csrf" field. 0 or -1 answered. */
static int check_csrf(struct req *r)
{
	const char *sent = NULL;

	if (!r->route->csrf)
		return 0;
	if (r->route->body == BODY_FORM) {
		sent = form_get(r, r->body, "csrf");
	} else if (r->nparts > 0) {
		const struct mp_part *p = multipart_find(r->parts, r->nparts, "csrf");
		sent = p ? arena_strndup(r->a, p->data, p->len) : NULL;
	}
	return admin_csrf_token_ok(r, sent) ? 0 : (admin_csrf_fail(r), -1);
}

/* A typed capture that does not fit: the same 404 as a well-formed id of nothing. */
static void capture_missing(struct req *r)
{
	if (r->route->auth == AUTH_PAGE)
		admin_not_found_page(r, r->route->missing);
	else if (r->route->missing != OK)
		reply_outcome(r, r->route->missing, NULL);
	else
		reply_error(r, 404, "NOT_FOUND", NULL, "No such resource");
}

static void handle(struct req *r)
{
	int path_known;

	/* the raw URI: a NUL decoded into DOCUMENT_URI has already cut the path short */
	if (url_has_nul(r->query) || url_has_nul(req_header(r, "REQUEST_URI")))
		return (void)reply_error(r, 400, "BAD_REQUEST", NULL, "The URL holds a NUL byte");
	r->route = route_match(r, r->method, r->path, &path_known);
	if (!r->route)
		return not_found(r, path_known);
	/* who may call is known before a byte of the body is read (uploads are 6 MB) */
	if (authorize(r) != 0 || take_body(r) != 0 || take_parts(r) != 0 || check_csrf(r) != 0)
		return;
	if (r->param_bad)
		return capture_missing(r);
	int rc = r->route->handler(r);
	if (rc != 0 || r->status == 0) {
		log_err("handler for %s %s gave no answer (%d)", r->route->method, r->route->pattern, rc);
		reply_error(r, 500, "INTERNAL", NULL, "Internal error");
	}
}

static const char *status_text(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* 1 when the whole answer was written, 0 when the connection failed. */
static int send_response(struct req *r)
{
	struct buf head = BUF_INIT;
	int nobody = strcmp(r->method, "HEAD") == 0 || r->status == 204 || r->status == 304;

	buf_printf(&head, "Status: %d %s\r\n", r->status, status_text(r->status));
	buf_put(&head, r->headers.data ? r->headers.data : "", r->headers.len);
	if (r->status != 204 && r->status != 304)
		buf_printf(&head, "Content-Length: %zu\r\n", r->out.len);
	buf_puts(&head, "\r\n");
	int rc = fcgi_out_answer(r->fcgi->ipcFd, r->fcgi->requestId, head.data, head.len, nobody ? NULL : r->out.data,
				 nobody ? 0 : r->out.len);
	buf_free(&head);
	return rc == 0;
}

static void access_log(struct req *r, int64_t duration_us)
{
	struct access_entry e = {
		.method = r->method,
		/* the tracking token is a credential: keep it out of the log */
		.path = strncmp(r->path, "/track/", 7) == 0 ? "/track/-" : r->path,
		.route = r->route ? r->route->pattern : NULL,
		.request_id = r->request_id,
		.user_id = r->ctx.who.user_id[0] ? r->ctx.who.user_id : NULL,
		.error_code = r->error_code,
		.status = r->status,
		.duration_us = duration_us,
	};
	log_access(&e);
}

/* Reads, handles and answers one request; 1 when the answer was written whole. */
static int serve(struct req *r)
{
	r->started_us = mono_us();
	r->started_ms = r->started_us / 1000;
	r->method = param(r, "REQUEST_METHOD");
	r->path = param(r, "DOCUMENT_URI");
	if (!r->path) { /* outside nginx: REQUEST_URI up to the query */
		const char *uri = FCGX_GetParam("REQUEST_URI", r->fcgi->envp);
		r->path = uri ? arena_strndup(r->a, uri, strcspn(uri, "?")) : "/";
	}
	r->query = param(r, "QUERY_STRING");
	r->request_id = param(r, "REQUEST_ID");
	r->remote_addr = param(r, "REMOTE_ADDR");
	r->content_type = param(r, "CONTENT_TYPE");
	r->cookie = param(r, "HTTP_COOKIE");
	r->authorization = param(r, "HTTP_AUTHORIZATION");
	r->if_none_match = param(r, "HTTP_IF_NONE_MATCH");
	if (!r->method)
		r->method = "GET";
	handle(r);
	reply_cache_default(r);
	if (r->request_id)
		reply_header(r, "X-Request-Id", "%s", r->request_id);
	int answered = send_response(r);
	int64_t took = mono_us() - r->started_us;
	metrics_request(r->route ? (int)(r->route - routes) : METRICS_NO_ROUTE, r->status, took);
	access_log(r, took);
	return answered;
}

/* A TCP connection from nginx on another host: no Nagle (one answer, written
 * once), and a peer that vanished without a FIN (a crashed or cut-off host)
 * frees the worker after a minute instead of never. */
static void tune_tcp(int fd)
{
	int one = 1;
	struct timeval tv = { .tv_sec = 60 };

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* The next connection to serve, accepted here rather than by libfcgi, so that
 * a TCP peer outside FCGI_ALLOW is closed before one byte of it is read (and
 * logged). Waits with SIGTERM let through; -1 once stopping. */
static int next_connection(int ep, const sigset_t *waitmask)
{
	struct epoll_event ev;
	struct sockaddr_storage peer;
	char addr[64];

	while (!stopping) {
		int n = epoll_pwait(ep, &ev, 1, -1, waitmask);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_pwait: %s", strerror(errno));
			return -1;
		}
		if (n <= 0)
			continue;
		socklen_t len = sizeof peer;
		int fd = accept4(ev.data.fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			/* another worker took it, or the peer gave up before we got to it */
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				log_warn("accept: %s", strerror(errno));
				usleep(100000); /* EMFILE and the like: do not spin */
			}
			continue;
		}
		if (peer.ss_family == AF_UNIX)
			return fd;
		if (!netaddr_allowed(cfg->allow, (size_t)cfg->nallow, (struct sockaddr *)&peer)) {
			log_warn("refused a FastCGI connection from %s: not in FCGI_ALLOW",
				 netaddr_format((struct sockaddr *)&peer, addr, sizeof addr));
			close(fd);
			continue;
		}
		tune_tcp(fd);
		return fd;
	}
	return -1;
}

/* One epoll set per worker over the shared listening sockets. EPOLLEXCLUSIVE:
 * a connection wakes one idle worker, not all of them. */
static int watch_listeners(const int *listen_fds, int nlisten)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	for (int i = 0; ep >= 0 && i < nlisten; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fds[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fds[i], &ev) != 0) {
			close(ep);
			ep = -1;
		}
	}
	if (ep < 0)
		log_err("epoll: %s", strerror(errno));
	return ep;
}

/* libfcgi reads the request from the connection we accepted: handed over as a
 * kept one (so FCGX_Accept_r does not close it first), with no listening
 * socket of its own (listen_sock -1), so it can never accept an unchecked
 * connection itself. When the connection carries no request, libfcgi closes
 * it and FCGX_Accept_r returns < 0 (doc/pitfalls.md §1.9). */
static int fcgi_read_request(FCGX_Request *fcgi, int fd)
{
	fcgi->ipcFd = fd;
	fcgi->keepConnection = 1;
	return FCGX_Accept_r(fcgi);
}

/* Ends the request once its answer is written (fcgi_out.c): libfcgi frees what
 * it read, and the connection is closed unless nginx keeps it. libfcgi's own
 * close shuts down writing and waits until nginx closes first: while nginx is
 * still sending the request (a body we answered without reading), closing
 * would fail its next write, and it would answer 502 instead of ours. That wait
 * costs a sleep and a wake-up per request. So the connection is closed at once
 * when nginx has sent everything: the request's stdin stream is at its end (its
 * end record read; for a request without a body it came with the parameters):
 * after it nginx sends nothing but an abort, which a reset cannot hurt.
 * Otherwise, libfcgi's way. */
static void finish_request(FCGX_Request *fcgi, int answered)
{
	int fd = fcgi->ipcFd;
	int sound = answered && FCGX_GetError(fcgi->in) == 0;
	int keep = sound && fcgi->keepConnection;
	int all_sent = !keep && sound && FCGX_GetChar(fcgi->in) == EOF && FCGX_GetError(fcgi->in) == 0;

	FCGX_Free(fcgi, 0);
	if (keep || fd < 0)
		return;
	fcgi->ipcFd = -1;
	fcgi->keepConnection = 0;
	if (!all_sent) {
		/* nginx closes first; what it still sends is drained */
		char drain[1024];
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		shutdown(fd, SHUT_WR);
		while (poll(&pfd, 1, 2000) > 0 && read(fd, drain, sizeof drain) > 0)
			;
	}
	close(fd);
}

int worker_run(const int *listen_fds, int nlisten, int worker_no)
{
	FCGX_Request fcgi;
	struct req r;
	struct arena *a = arena_new();
	struct db db = { 0 };
	struct tmpl_set *templates;
	char err[256];
	sigset_t term, waitmask;

	prctl(PR_SET_PDEATHSIG, SIGTERM);		 /* never outlive the master */
	struct sigaction sa = { .sa_handler = on_term }; /* no SA_RESTART: waits return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN); /* the master decides; in-flight requests finish */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM is held except while waiting: a request once read is answered */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &waitmask);
	sigdelset(&waitmask, SIGTERM);

	metrics_event(EV_WORKER_START);
	shared_set_worker(worker_no);
	templates = tmpl_load_dir(cfg->template_dir, err, sizeof err);
	if (!templates)
		log_warn("worker %d: templates not loaded: %s", worker_no, err);
	if (db_connect(&db, "lafete") != 0)
		log_warn("worker %d: starting without a database; will retry per request", worker_no);
	int ep = watch_listeners(listen_fds, nlisten);
	FCGX_InitRequest(&fcgi, -1, 0);
	while (ep >= 0 && !stopping) {
		int rc;
		if (fcgi.ipcFd >= 0) {
			/* nginx kept the connection (fastcgi_keep_conn on, which we do
			 * not use: doc/pitfalls.md §1.7): its next request comes on it */
			sigprocmask(SIG_SETMASK, &waitmask, NULL);
			rc = FCGX_Accept_r(&fcgi);
			sigprocmask(SIG_BLOCK, &term, NULL);
		} else {
			int fd = next_connection(ep, &waitmask);
			if (fd < 0)
				break;
			rc = fcgi_read_request(&fcgi, fd);
		}
		if (rc < 0)
			continue; /* a connection that carried no request, already closed */
		memset(&r, 0, sizeof r);
		r.fcgi = &fcgi;
		r.a = r.ctx.a = a;
		r.ctx.db = &db;
		r.ctx.templates = templates;
		finish_request(&fcgi, serve(&r));
		buf_free(&r.headers);
		buf_free(&r.out);
		arena_reset(a);
		db_done(&db);
	}
	FCGX_Free(&fcgi, 1);
	if (ep >= 0)
		close(ep);
	arena_free(a);
	tmpl_set_free(templates);
	catalog_cache_clear();
	db_disconnect(&db);
	httpc_cleanup();
	return ep >= 0 ? 0 : 1;
}
