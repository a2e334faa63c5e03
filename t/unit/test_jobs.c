/* test_jobs.c: the job queue's one back-off rule. */
#include <limits.h>

#include "jobs.h"
#include "tap.h"

int main(void)
{
	ok(job_backoff_minutes(1) == 2, "the first failure waits 2 minutes");
	ok(job_backoff_minutes(2) == 4 && job_backoff_minutes(3) == 8 && job_backoff_minutes(4) == 16 &&
		   job_backoff_minutes(5) == 32,
	   "then 4, 8, 16, 32");
	ok(job_backoff_minutes(6) == JOB_BACKOFF_CAP_MINUTES, "then the cap (%d minutes)", JOB_BACKOFF_CAP_MINUTES);
	ok(job_backoff_minutes(1000) == JOB_BACKOFF_CAP_MINUTES && job_backoff_minutes(INT_MAX) == JOB_BACKOFF_CAP_MINUTES,
	   "large counts stay at the cap (no overflow)");
	ok(job_backoff_minutes(0) == 2 && job_backoff_minutes(-5) == 2, "no failure yet reads as the first");
	return done_testing();
}
