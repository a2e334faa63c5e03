/* storage.h: product images: sniffing by magic bytes, storing locally or on S3. */
#ifndef APP_STORAGE_H
#define APP_STORAGE_H

#include <stddef.h>

struct arena;

struct image_kind {
	const char *ext;  /* "png", "jpg", "webp" */
	const char *mime; /* "image/png", ... */
};

/* The kind of image data is by its magic bytes (PNG needs its full signature
 * and a well-formed IHDR chunk with a correct CRC), or NULL when it is none
 * of PNG, JPEG, WebP. */
const struct image_kind *image_sniff(const unsigned char *data, size_t len);

/* Lowercase hex SHA-256 of data. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* Stores data as products/<random>.<ext>: under cfg->storage_dir, or on
 * S3-compatible storage when cfg->s3_endpoint is set. On success returns 0
 * and the public URL (arena) in *url; on failure -1, logged. */
int storage_put_image(struct arena *a, const void *data, size_t len, const struct image_kind *kind, const char **url);

/* Removes a locally stored image given its public URL; ignores other URLs. */
void storage_forget_image(const char *url);

#endif
