/* users.h: user answers and the normalisations other modules share. */
#ifndef APP_USERS_H
#define APP_USERS_H

#include <json-c/json.h>
#include <libpq-fe.h>

/* {id, email, name, phone, role, createdAt} from a row with those columns. */
struct json_object *user_json(PGresult *res, int row);
/* Trimmed input in; lower-cased address out. 0, or -1 when not an address. */
int normalize_email(const char *in, char out[256]);
/* Any common way of writing an Indian mobile in; "+91XXXXXXXXXX" out. */
int normalize_phone(const char *in, char out[16]);

#endif
