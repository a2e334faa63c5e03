/* addresses.h: the caller's delivery addresses, as other modules need them. */
#ifndef APP_ADDRESSES_H
#define APP_ADDRESSES_H

struct req;

/* The caller's address id as a delivery point: coordinates as decimal text and
 * "street, city pincode". 0, or -1 answered (404 ADDRESS_NOT_FOUND or the DB error). */
int address_point(struct req *r, const char *id, const char **lat, const char **lng, const char **text);

#endif
