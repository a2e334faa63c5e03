/* kitchen.h: the kitchen sheet of a day: what to bake per slot, and the messages to write. */
#ifndef APP_KITCHEN_H
#define APP_KITCHEN_H

#include <json-c/json.h>

#include "outcome.h"

struct ctx;

/* For the paid, not yet dispatched orders whose slot falls on date
 * (YYYY-MM-DD, Asia/Kolkata): *slots [{slot "14:00–16:00", cakes [{name,
 * label, quantity}], total}] by slot, and *notes [{orderNumber, slot,
 * customMessage, isGift, giftMessage, customer, cakes}] of the orders with an
 * inscription or a gift. Caller owns both. OK or E_DB. */
enum outcome kitchen_sheet(struct ctx *c, const char *date, struct json_object **slots, struct json_object **notes);

#endif
