/* shared.c: the master's shared mapping (see shared.h). */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "conf.h"
#include "shared.h"
#include "util.h"

/* Older than this, the listener is presumed stuck (a network that dropped
 * without a reset): workers stop trusting the generations. It beats every
 * second (listener.c). */
#define BEAT_STALE_MS 3000

static struct shared private_copy;
static struct shared *seg = &private_copy;

static const char *const topic_names[TOPIC_COUNT] = { "catalog", "users" };

int shared_init(void)
{
	void *p = mmap(NULL, sizeof *seg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	seg = p; /* zero-filled: no listener yet */
	for (int t = 0; t < TOPIC_COUNT; t++)
		atomic_store(&seg->gen[t], 1);
	return 0;
}

struct shared *shared(void)
{
	return seg;
}

int shared_topic(const char *name)
{
	for (int t = 0; t < TOPIC_COUNT; t++)
		if (strcmp(name, topic_names[t]) == 0)
			return t;
	return -1;
}

void shared_changed(enum shared_topic t)
{
	atomic_fetch_add(&seg->gen[t], 1);
}

static int worker_no = -1;

void shared_set_worker(int no)
{
	worker_no = no >= 0 && no < SHARED_MAX_WORKERS ? no : -1;
}

int shared_wait_begin(int limit)
{
	if (worker_no < 0)
		return 1;
	atomic_store(&seg->waiting_on_partner[worker_no], 1);
	int waiting = 0;
	for (int i = 0; i < SHARED_MAX_WORKERS; i++)
		waiting += atomic_load(&seg->waiting_on_partner[i]);
	if (waiting <= limit)
		return 1;
	/* two that start together may both give way: never more than limit wait */
	atomic_store(&seg->waiting_on_partner[worker_no], 0);
	return 0;
}

void shared_wait_end(void)
{
	if (worker_no >= 0)
		atomic_store(&seg->waiting_on_partner[worker_no], 0);
}

void shared_worker_gone(int no)
{
	if (no >= 0 && no < SHARED_MAX_WORKERS)
		atomic_store(&seg->waiting_on_partner[no], 0);
}

uint64_t shared_gen(enum shared_topic t)
{
	if (cfg && cfg->db_pool_transaction)
		return 0;
	int64_t beat = atomic_load(&seg->listener_beat_ms);
	if (beat == 0 || mono_ms() - beat >= BEAT_STALE_MS)
		return 0;
	return atomic_load(&seg->gen[t]);
}
