/* account_data.h: what the shop holds about a customer: all of it exported, and
 * the personal part erased when the customer deletes the account. */
#ifndef APP_ACCOUNT_DATA_H
#define APP_ACCOUNT_DATA_H

#include <json-c/json.h>

#include "ctx.h"
#include "outcome.h"

/* Everything held about the acting user, as one document (arena-owned):
 * {exportedAt, account, addresses, cart, refunds, emails (with their bodies;
 * a reset email's without its link), passwordResets, invoices (the tax
 * invoices and credit notes of its orders), signIns (the addresses sign-ins
 * were counted for), orders (as GET /api/orders/{id} answers them, with
 * statusHistory and trackingUrl)}. OK, E_ACCOUNT_GONE, E_DB. */
enum outcome account_export(struct ctx *c, struct json_object **doc);

/* Deletes the acting user's account. The password is checked as
 * account_reauth checks it (its outcomes, *locked_for). Refused with
 * E_ORDERS_IN_PROGRESS while an order is paid and not yet delivered or
 * cancelled (a PENDING order whose payment Razorpay authorised or captured
 * counts as paid). Otherwise, in one transaction: the account's row keeps its
 * id with a placeholder email (deleted-<id>@deleted.invalid: the address is
 * free to register again), the name "deleted customer", no phone and no
 * password, deleted and every token revoked; its unpaid orders cancelled;
 * addresses, cart, reset requests and the sign-in counts of its email
 * deleted; its orders' address snapshots, inscriptions, gift messages and
 * staff notes erased and their tracking links voided; its emails' addresses,
 * bodies and errors erased (unsent ones void); partner errors on its
 * deliveries and jobs erased. Orders, their items, payments and refunds keep
 * their amounts, and the tax invoices and credit notes stay as issued (the
 * buyer's name and address on them included: GST law keeps them, unchanged;
 * invoices.c never changes one). OK, E_ACCOUNT_GONE, E_DB. */
enum outcome account_erase(struct ctx *c, const char *password, const char *client_addr, int *locked_for);

#endif
