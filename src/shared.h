/* shared.h: one mapping of memory the master makes before it forks, so that
 * the workers and the listener see the same counters; it outlives any one of
 * them. Outside the server (CLI, unit tests) a private copy stands in. */
#ifndef APP_SHARED_H
#define APP_SHARED_H

#include <stdatomic.h>
#include <stdint.h>

/* What workers keep in memory, by what invalidates it (schema/0011). */
#define SHARED_MAX_WORKERS 256

enum shared_topic {
	TOPIC_CATALOG, /* products and variants: the public catalog's answers */
	TOPIC_USERS,   /* role, name, email, deletion, revocation: principals */
	TOPIC_COUNT
};

struct shared {
	/* Per topic, bumped whenever it may have changed: by the writing worker
	 * right after its commit (the database's notice) and by the listener on
	 * every notification (another host, psql, a migration). Whatever a
	 * worker keeps is stamped with the generation it was read under. */
	_Atomic uint64_t gen[TOPIC_COUNT];
	/* While non-zero, the listener holds LISTEN on a live session and beat
	 * at this time (mono ms): the generations can be trusted. */
	_Atomic int64_t listener_beat_ms;
	/* Per worker (by its number): 1 while it waits on a partner's quote. A
	 * flag, not a counter, so the master can clear a dead worker's. */
	_Atomic int waiting_on_partner[SHARED_MAX_WORKERS];
};

/* The master maps the segment; 0, or -1 (errno set). */
int shared_init(void);
/* The segment, or the process's private stand-in. Never NULL. */
struct shared *shared(void);

/* The topic named by a notice or notification ("catalog", "users"), or -1. */
int shared_topic(const char *name);
void shared_changed(enum shared_topic t);
/* The topic's generation, or 0 when it cannot be trusted (no listener, a
 * listener that stopped beating, or DB_POOL_MODE=transaction): a caller then
 * reads from the database every time. Generations start at 1. */
uint64_t shared_gen(enum shared_topic t);

/* This process is worker number no (the workers only). */
void shared_set_worker(int no);
/* Before a call that may wait on a partner for seconds: 1 when this worker may
 * wait (fewer than limit others are waiting), 0 when it must answer 503
 * instead. shared_wait_end after the call. Outside a worker, always 1. */
int shared_wait_begin(int limit);
void shared_wait_end(void);
/* The master, when worker no died (it may have died waiting). */
void shared_worker_gone(int no);

#endif
