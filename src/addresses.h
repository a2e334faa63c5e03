/* addresses.h: the acting customer's delivery addresses: list, create, edit,
 * delete, the per-user limit, the delivery radius, and an address as a point. */
#ifndef APP_ADDRESSES_H
#define APP_ADDRESSES_H

#include <json-c/json.h>
#include <stdint.h>

#include "ctx.h"
#include "outcome.h"

/* How many addresses one customer may keep (outcome.c's ADDRESS_LIMIT text says it too). */
#define ADDRESS_LIMIT 20

/* The fields of a create or an edit, validated; NULL when absent. */
struct address_fields {
	const char *label, *street, *city, *pincode;
	const char *lat_text, *lng_text; /* decimal text as sent */
	double lat, lng;		 /* the same, as numbers */
	int label_set;			 /* the body named label: NULL (or absent text) clears it */
};

/* An address answered: {id, label, street, city, pincode, latitude, longitude,
 * createdAt}, arena-owned (json_object_get to hand it on); with
 * E_OUT_OF_DELIVERY_AREA, how far from the kitchen the point is instead. */
struct address_result {
	struct json_object *address;
	double distance_km;
};

/* 1 when s is an Indian PIN code: six digits, the first not 0. */
int address_pincode_ok(const char *s);
/* Great-circle distance in km between two points (haversine). */
double address_distance_km(double lat1, double lng1, double lat2, double lng2);
/* OK when the point is within DELIVERY_RADIUS_KM of the kitchen, else
 * E_OUT_OF_DELIVERY_AREA; *km is the distance. */
enum outcome address_in_delivery_area(double lat, double lng, double *km);

/* The acting user's addresses, oldest first, as {items, total, limit, offset}
 * (arena-owned). OK or E_DB. */
enum outcome address_list(struct ctx *c, int64_t limit, int64_t offset, struct json_object **page);
/* Saves a new address (street, city, pincode and the point all set). Refuses a
 * point outside the delivery radius (E_OUT_OF_DELIVERY_AREA) and an address
 * past ADDRESS_LIMIT (E_ADDRESS_LIMIT, checked under a lock on the user row in
 * a transaction of its own). OK with out->address, or E_DB. */
enum outcome address_create(struct ctx *c, const struct address_fields *in, struct address_result *out);
/* One of the acting user's addresses: OK, E_ADDRESS_NOT_FOUND or E_DB. */
enum outcome address_get(struct ctx *c, const char *id, struct address_result *out);
/* Changes the fields present, in a transaction of its own; a moved point must
 * stay in the delivery radius. OK, E_ADDRESS_NOT_FOUND, E_OUT_OF_DELIVERY_AREA, E_DB. */
enum outcome address_update(struct ctx *c, const char *id, const struct address_fields *in, struct address_result *out);
/* Deletes one of the acting user's addresses: OK, E_ADDRESS_NOT_FOUND or E_DB. */
enum outcome address_delete(struct ctx *c, const char *id);

/* The acting user's address id as a delivery point: coordinates as decimal
 * text and "street, city pincode" (arena). OK, E_ADDRESS_NOT_FOUND or E_DB. */
enum outcome address_point(struct ctx *c, const char *id, const char **lat, const char **lng, const char **text);

#endif
