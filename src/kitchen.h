/* kitchen.h: a day in the kitchen, slot by slot: what to bake, what to write, couriers, attention. */
#ifndef APP_KITCHEN_H
#define APP_KITCHEN_H

#include <json-c/json.h>

#include "outcome.h"

struct ctx;

/* The slots of date (YYYY-MM-DD, Asia/Kolkata) that hold at least one order,
 * in slot order, read in one statement: *slots [{
 *   slotAt       the slot's start (SQL_TIME text),
 *   courierDueAt when dispatch books its couriers: start - DISPATCH_LEAD_MINUTES,
 *   orders       paid orders (CONFIRMED .. DELIVERED), unpaid (PENDING), cancelled,
 *   toBake       the paid orders still in the kitchen (CONFIRMED, BAKING, READY),
 *   cakes        [{name, label, quantity}] of those, by product then size; cakeCount,
 *   notes        [{id, orderNumber, customer, cakes, customMessage, isGift, giftMessage}]
 *                of those with an inscription or a gift, by order number,
 *   couriersBooked  paid orders with a courier booked (and not cancelled or failed
 *                   since) or already dispatched; couriersDue: paid orders still
 *                   in the kitchen without one,
 *   attention    [{id, orderNumber, reason}] of the slot's orders flagged for staff
 * }]. Caller owns it. OK or E_DB. */
enum outcome kitchen_day(struct ctx *c, const char *date, struct json_object **slots);

#endif
