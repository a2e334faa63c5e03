/* fuzz_razorpay.c: Razorpay's answers as razorpay.c reads them (parse, then
 * classify_answer and the error envelope), then as payments.c and reconcile.c
 * read a usable one (view_text, payment_jpaise, razorpay_id_valid); and the
 * HMAC signatures of checkout and webhooks. The transport is fake_httpc.c.
 *
 * Input: byte 0 the call (and the log format), byte 1 the HTTP status, byte 2
 * the transport's result, then the answer's body (or, for signatures, the
 * signed text, a newline and the signature sent).
 * Properties: the classification of razorpay.h (2xx with a JSON object: OK;
 * 429, 409, 5xx: UNAVAILABLE; other 4xx: PARTNER_ERROR; no answer: TIMEOUT or
 * UNREACHABLE); a signature verifies only when it is the HMAC of the text. */
#include <ctype.h>
#include <strings.h>

#include "auth.h"
#include "conf.h"
#include "fake_httpc.h"
#include "fuzz.h"
#include "order_view.h"
#include "payments.h"
#include "razorpay.h"
#include "util.h"

#define KEY_SECRET "fuzz-key-secret-0123456789"
#define WEBHOOK_SECRET "fuzz-webhook-secret-0123456789"

static struct conf conf = {
	.razorpay_api_url = "http://razorpay.invalid/v1",
	.razorpay_key_id = "rzp_test_fuzz",
	.razorpay_key_secret = KEY_SECRET,
	.razorpay_webhook_secret = WEBHOOK_SECRET,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_keep_stderr();
	cfg = &conf;
	return 0;
}

static void check_class(enum rzp_result res, const struct fake_answer *fa, const struct rzp_answer *a)
{
	long s = fa->status;

	FUZZ_ASSERT(fake_httpc_calls() <= 1, "%d calls for one", fake_httpc_calls());
	FUZZ_ASSERT(memchr(a->code, '\0', sizeof a->code) && memchr(a->description, '\0', sizeof a->description),
		    "an unterminated error text");
	if (fake_httpc_calls() == 0) /* refused before calling: bad arguments */
		return;
	if (fa->result != HTTPC_OK) {
		FUZZ_ASSERT(res == (fa->result == HTTPC_UNREACHABLE ? RZP_UNREACHABLE : RZP_TIMEOUT),
			    "transport %d classified %s", (int)fa->result, razorpay_result_name(res));
		return;
	}
	if (res == RZP_OK)
		FUZZ_ASSERT(s >= 200 && s < 300 && json_object_is_type(a->json, json_type_object), "HTTP %ld classified ok", s);
	else if (s == 429 || s == 409 || s >= 500 || s < 200)
		FUZZ_ASSERT(res == RZP_UNAVAILABLE, "HTTP %ld classified %s", s, razorpay_result_name(res));
	else if (s >= 300)
		FUZZ_ASSERT(res == RZP_PARTNER_ERROR, "HTTP %ld classified %s", s, razorpay_result_name(res));
	else
		FUZZ_ASSERT(res == RZP_UNAVAILABLE, "a 2xx without a JSON object classified %s", razorpay_result_name(res));
}

/* The reads of payments.c (our_rzp_order) and reconcile.c on an entity. */
static void read_entity(struct json_object *o, const char *prefix)
{
	const char *id = view_text(o, "id"), *cur = view_text(o, "currency"), *st = view_text(o, "status");
	int64_t paise = payment_jpaise(o, "amount");

	FUZZ_ASSERT(paise >= -1, "payment_jpaise gave %lld", (long long)paise);
	if (razorpay_id_valid(id, prefix)) {
		FUZZ_ASSERT(strncmp(id, prefix, strlen(prefix)) == 0 && strlen(id) <= 64, "razorpay_id_valid(%s)", id);
		for (const char *c = id + strlen(prefix); *c; c++)
			FUZZ_ASSERT(isalnum((unsigned char)*c), "razorpay_id_valid passed %s", id);
	}
	(void)cur;
	(void)st;
}

static void read_items(struct json_object *o, const char *prefix)
{
	struct json_object *items;

	if (!json_object_object_get_ex(o, "items", &items) || !json_object_is_type(items, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(items); i++)
		read_entity(json_object_array_get_idx(items, i), prefix);
}

static void call(unsigned op, const struct fake_answer *fa)
{
	struct rzp_answer a;
	enum rzp_result res;

	fake_httpc_answer(fa);
	switch (op) {
	case 0:
		res = razorpay_create_order(129900, "LF-20270115-0001", "0b6c1c9e-2f4d-4a8e-9c1a-5d2e7f3b4a10", &a);
		check_class(res, fa, &a);
		if (res == RZP_OK)
			read_entity(a.json, "order_");
		break;
	case 1:
		res = razorpay_orders_by_receipt("LF-20270115-0001", &a);
		check_class(res, fa, &a);
		if (res == RZP_OK)
			read_items(a.json, "order_");
		break;
	case 2:
		res = razorpay_order_payments("order_Fuzz0123456789", &a);
		check_class(res, fa, &a);
		if (res == RZP_OK)
			read_items(a.json, "pay_");
		break;
	default:
		res = razorpay_refund("pay_Fuzz0123456789", op == 3 ? 50000 : -1, "refund-0b6c1c9e-2f4d", &a);
		check_class(res, fa, &a);
		if (res == RZP_OK)
			read_entity(a.json, "rfnd_");
		break;
	}
	rzp_answer_free(&a);
	FUZZ_ASSERT(a.json == NULL, "rzp_answer_free kept the answer");
}

static void hex_hmac(const char *key, const char *msg, size_t len, char out[65])
{
	auth_hmac_sha256_hex(key, strlen(key), msg, len, out);
}

/* text "\n" sig: the webhook's raw body, or the checkout's "order|payment". */
static void check_signatures(const char *in, size_t size)
{
	const char *nl = memchr(in, '\n', size);
	size_t len = nl ? (size_t)(nl - in) : size;
	char *sig = fuzz_cstr((const uint8_t *)(nl ? nl + 1 : ""), nl ? size - len - 1 : 0);
	char want[65];

	hex_hmac(WEBHOOK_SECRET, in, len, want);
	int valid = razorpay_webhook_signature_valid(in, len, sig);
	FUZZ_ASSERT(valid == (strlen(sig) == 64 && strcasecmp(sig, want) == 0), "webhook signature %.80s judged %d", sig,
		    valid);
	FUZZ_ASSERT(razorpay_webhook_signature_valid(in, len, want), "the webhook's own signature refused");

	/* checkout: order_id|payment_id; the split is the text's first '|' */
	char *text = fuzz_cstr((const uint8_t *)in, len), *bar = strchr(text, '|');
	if (bar) {
		*bar = '\0';
		valid = razorpay_checkout_signature_valid(text, bar + 1, sig);
		char *msg = fuzz_cstr((const uint8_t *)in, len);
		hex_hmac(KEY_SECRET, msg, strlen(msg), want);
		int fits = strlen(text) + 1 + strlen(bar + 1) < 256;
		FUZZ_ASSERT(valid == (fits && strlen(sig) == 64 && strcasecmp(sig, want) == 0),
			    "checkout signature %.80s judged %d", sig, valid);
		free(msg);
	}
	free(text);
	free(sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	struct fake_answer fa = { fake_result(data[2]), fake_status(data[1]), (const char *)data + 3, size - 3 };
	unsigned op = data[0] & 7;

	log_use_json(data[0] & 8); /* error descriptions go into both log formats */
	if (op >= 5)
		check_signatures((const char *)data + 3, size - 3);
	else
		call(op, &fa);
	return 0;
}
