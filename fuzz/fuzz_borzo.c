/* fuzz_borzo.c: Borzo's answers as borzo.c reads them (strict parse,
 * is_successful, the refusal's description, each call's own fields) and as
 * deliveries.c then reads orders (borzo_event_of_order, delivery_status.c);
 * and Borzo's signed callbacks as the webhook reads them (borzo_event_read).
 * The transport is fake_httpc.c.
 *
 * Input: byte 0 the call (and the log format), byte 1 the HTTP status, byte 2
 * the transport's result, then the answer's body (or the callback's body).
 * Properties: a usable answer has the shape the caller then relies on (a
 * price in paise, an order object, an orders array); an event has a positive
 * order id, one of our statuses or none, and courier details safe to store
 * (no control characters, a phone of at most 20 bytes); no answer at all
 * (refused connection) is never read as success. */
#include "borzo.h"
#include "conf.h"
#include "delivery_status.h"
#include "fake_httpc.h"
#include "fuzz.h"
#include "json.h"
#include "util.h"

static struct conf conf = {
	.borzo_api_url = "http://borzo.invalid/api/business/1.6",
	.borzo_api_token = "fuzz-borzo-token",
	.borzo_vehicle_type_id = 8,
	.store_address = "12 MG Road, Bengaluru",
	.store_lat = 12.9716,
	.store_lng = 77.5946,
};

static struct arena *a;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_keep_stderr();
	cfg = &conf;
	a = arena_new();
	return 0;
}

static void check_event(const struct borzo_event *ev, int rc)
{
	static const char *const ours[] = { "SEARCHING", "ASSIGNED", "PICKED_UP", "COMPLETED", "CANCELLED", "FAILED" };

	if (rc != 1)
		return;
	FUZZ_ASSERT(ev->borzo_order_id > 0, "an event for order %lld", ev->borzo_order_id);
	if (ev->status) {
		size_t i = 0;
		while (i < sizeof ours / sizeof *ours && strcmp(ours[i], ev->status) != 0)
			i++;
		FUZZ_ASSERT(i < sizeof ours / sizeof *ours, "status %s is not ours", ev->status);
		int rank = delivery_status_rank(ev->status);
		FUZZ_ASSERT(rank >= 0 && rank <= DELIVERY_RANK_FINAL, "rank %d", rank);
	}
	if (ev->courier_name)
		FUZZ_ASSERT(!text_has_controls(ev->courier_name, strlen(ev->courier_name), TEXT_SINGLE_LINE) &&
				    strlen(ev->courier_name) <= 201,
			    "an unsafe courier name kept");
	if (ev->courier_phone)
		FUZZ_ASSERT(strlen(ev->courier_phone) <= 20 &&
				    !text_has_controls(ev->courier_phone, strlen(ev->courier_phone), TEXT_SINGLE_LINE),
			    "an unsafe courier phone kept");
}

static void read_order(struct json_object *order)
{
	struct borzo_event ev = { 0 };
	check_event(&ev, borzo_event_of_order(a, order, &ev));
}

static void check_result(enum borzo_result br, const struct fake_answer *fa, const char *err)
{
	FUZZ_ASSERT(fake_httpc_calls() == 1, "%d calls for one", fake_httpc_calls());
	FUZZ_ASSERT(fa->result != HTTPC_UNREACHABLE || br == BORZO_UNREACHABLE, "a refused connection read as %d", (int)br);
	if (fa->result == HTTPC_OK && fa->status >= 500)
		FUZZ_ASSERT(br == BORZO_SERVER_ERROR || br == BORZO_TIMEOUT || br == BORZO_UNREACHABLE,
			    "HTTP %ld read as %d", fa->status, (int)br);
	FUZZ_ASSERT(br == BORZO_OK || err == NULL || err[0], "a failure without a reason");
}

static void call(unsigned op, const struct fake_answer *fa)
{
	char err[512] = "";
	enum borzo_result br;
	struct json_object *o = NULL;

	fake_httpc_answer(fa);
	switch (op) {
	case 0: {
		int64_t paise = -1;
		br = borzo_calculate(a, "4th Cross, Indiranagar", "12.9784", "77.6408", &paise);
		check_result(br, fa, NULL);
		FUZZ_ASSERT(br != BORZO_OK || paise >= 0, "a price of %lld paise", (long long)paise);
		break;
	}
	case 1: {
		struct json_object *body = json_own(a, json_object_new_object());
		json_object_object_add(body, "matter", json_object_new_string("Fragile Cake"));
		br = borzo_create_order(a, body, &o, err, sizeof err);
		check_result(br, fa, err);
		FUZZ_ASSERT(br != BORZO_OK || json_object_is_type(o, json_type_object), "created without an order");
		if (br == BORZO_OK)
			read_order(o);
		break;
	}
	case 2:
		br = borzo_get_orders(a, "2027-01-15T00:00:00+05:30", 50, &o, err, sizeof err);
		check_result(br, fa, err);
		FUZZ_ASSERT(br != BORZO_OK || json_object_is_type(o, json_type_array), "orders without a list");
		for (size_t i = 0; br == BORZO_OK && i < json_object_array_length(o); i++)
			read_order(json_object_array_get_idx(o, i));
		break;
	case 3:
		br = borzo_get_order(a, 123456, &o, err, sizeof err);
		check_result(br, fa, err);
		if (br == BORZO_OK && o)
			read_order(o);
		break;
	default: {
		const char *code = NULL;
		br = borzo_cancel_order(a, 123456, &code, err, sizeof err);
		check_result(br, fa, err);
		FUZZ_ASSERT(!code || br == BORZO_REJECTED, "an error code without a refusal");
		break;
	}
	}
}

/* The webhook after its signature: strict JSON, then the event. */
static void callback(const char *body, size_t len)
{
	char err[160];
	struct json_object *o = json_own(a, json_parse_strict(body, len, err, sizeof err));
	struct borzo_event ev = { 0 };

	if (!o)
		return;
	int rc = borzo_event_read(a, o, &ev);
	FUZZ_ASSERT(rc >= -1 && rc <= 1, "borzo_event_read returned %d", rc);
	check_event(&ev, rc);
	/* the catch-up reads an order the same way */
	struct json_object *order;
	if (json_object_object_get_ex(o, "order", &order))
		read_order(order);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	struct fake_answer fa = { fake_result(data[2]), fake_status(data[1]), (const char *)data + 3, size - 3 };
	unsigned op = data[0] & 7;

	log_use_json(data[0] & 8);
	if (op >= 5)
		callback((const char *)data + 3, size - 3);
	else
		call(op, &fa);
	arena_reset(a);
	return 0;
}
