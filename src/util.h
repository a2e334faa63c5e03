/* util.h: allocation that aborts on OOM, logging, small string helpers. */
#ifndef APP_UTIL_H
#define APP_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Log a line to stderr with a level and the pid; never pass secrets. Plain
 * text ("2026-12-02T10:00:00.000Z [pid] level: message") unless
 * log_use_json(1): then one JSON object per line (README "Logs"). */
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_use_json(int on);

/* The access line of one request. Strings may be NULL (absent). */
struct access_entry {
	const char *method, *path, *route, *request_id, *user_id, *error_code;
	int status;
	int64_t duration_us;
};
void log_access(const struct access_entry *e);
#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_warn(...) log_msg("warn", __VA_ARGS__)
#define log_err(...) log_msg("error", __VA_ARGS__)

/* Bounded integer parse of a whole string: 0 on success, -1 on junk or range. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Money: integer paise <-> "1299.00". parse accepts "12", "12.5", "12.50". */
int money_parse(const char *s, int64_t *paise);
void money_format(int64_t paise, char out[32]);
/* Money for people to read: rupees with the Indian grouping and the paise only
 * when there are any: 13990000 -> "₹1,39,900", 129950 -> "₹1,299.50", -500 -> "-₹5". */
void money_format_inr(int64_t paise, char out[40]);

int is_uuid(const char *s);
/* Current wall clock in milliseconds (monotonic for durations). */
int64_t now_ms(void);
int64_t mono_ms(void);
int64_t mono_us(void);

#endif
