/* storage.c: product images: magic-byte sniffing, local files (temp + rename) or S3 PUT (SigV4). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "httpc.h"
#include "storage.h"
#include "util.h"

static const struct image_kind PNG = { "png", "image/png" };
static const struct image_kind JPEG = { "jpg", "image/jpeg" };
static const struct image_kind WEBP = { "webp", "image/webp" };

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* CRC-32 (ISO-HDLC), as PNG chunks use it. */
static uint32_t crc32_png(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return c ^ 0xFFFFFFFFu;
}

/* Signature, then IHDR: length 13, sane dimensions and depth, right CRC. */
static int is_png(const unsigned char *d, size_t n)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A };

	if (n < 8 + 25 || memcmp(d, sig, 8) != 0)
		return 0;
	const unsigned char *c = d + 8;
	if (be32(c) != 13 || memcmp(c + 4, "IHDR", 4) != 0)
		return 0;
	uint32_t w = be32(c + 8), h = be32(c + 12);
	unsigned depth = c[16], color = c[17];
	if (w == 0 || h == 0 || w > 0x7FFFFFFFu || h > 0x7FFFFFFFu)
		return 0;
	if (!(depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16))
		return 0;
	if (!(color == 0 || color == 2 || color == 3 || color == 4 || color == 6))
		return 0;
	return crc32_png(c + 4, 17) == be32(c + 21);
}

static int is_webp(const unsigned char *d, size_t n)
{
	return n >= 16 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0 &&
		(memcmp(d + 12, "VP8 ", 4) == 0 || memcmp(d + 12, "VP8L", 4) == 0 || memcmp(d + 12, "VP8X", 4) == 0);
}

const struct image_kind *image_sniff(const unsigned char *d, size_t n)
{
	if (is_png(d, n))
		return &PNG;
	if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return &JPEG;
	if (is_webp(d, n))
		return &WEBP;
	return NULL;
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* 32 hex characters from the CSPRNG. */
static int random_name(char out[33])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static int mkdir_if_missing(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Creates STORAGE_DIR and STORAGE_DIR/products when missing. */
static int ensure_dirs(struct arena *a, const char **dir)
{
	*dir = arena_printf(a, "%s/products", cfg->storage_dir);
	if (mkdir_if_missing(cfg->storage_dir) != 0 || mkdir_if_missing(*dir) != 0) {
		log_err("storage: cannot create %s: %s", *dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int put_local(struct arena *a, const char *file, const void *data, size_t len, const char **url)
{
	const char *dir;

	if (ensure_dirs(a, &dir) != 0)
		return -1;
	const char *tmp = arena_printf(a, "%s/.tmp-%s", dir, file);
	const char *dst = arena_printf(a, "%s/%s", dir, file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_err("storage: cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	int bad = write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0;
	bad |= close(fd) != 0;
	if (bad || rename(tmp, dst) != 0) {
		log_err("storage: cannot write %s: %s", dst, strerror(errno));
		unlink(tmp);
		return -1;
	}
	*url = arena_printf(a, "%s/products/%s", cfg->media_url, file);
	return 0;
}

static const char *trim_slash(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	return arena_strndup(a, s, n);
}

static int put_s3(struct arena *a, const char *file, const void *data, size_t len, const char *mime, const char **url)
{
	char hash[65];
	const char *object = arena_printf(a, "%s/%s/products/%s", trim_slash(a, cfg->s3_endpoint), cfg->s3_bucket, file);

	sha256_hex(data, len, hash);
	/* libcurl 7.88 signs but does not add x-amz-content-sha256 (doc/pitfalls.md §5.5) */
	const char *headers[] = { arena_printf(a, "x-amz-content-sha256: %s", hash),
				  arena_printf(a, "Content-Type: %s", mime), NULL };
	struct httpc_call call = {
		.method = "PUT",
		.url = object,
		.headers = headers,
		.body = data,
		.body_len = len,
		.username = cfg->s3_access_key,
		.password = cfg->s3_secret_key,
		.aws_sigv4 = arena_printf(a, "aws:amz:%s:s3", cfg->s3_region),
		.timeout_ms = 20000,
		.partner = "s3",
		.operation = "put-object",
	};
	enum httpc_result rc = httpc_perform(&call);
	int ok = rc == HTTPC_OK && call.status >= 200 && call.status < 300;
	if (!ok)
		log_err("storage: S3 PUT %s failed: %s status %ld %.200s", object, call.error, call.status,
			call.response.data ? call.response.data : "");
	buf_free(&call.response);
	if (!ok)
		return -1;
	*url = cfg->s3_public_url ? arena_printf(a, "%s/products/%s", trim_slash(a, cfg->s3_public_url), file) : object;
	return 0;
}

int storage_put_image(struct arena *a, const void *data, size_t len, const struct image_kind *kind, const char **url)
{
	char id[33];

	if (random_name(id) != 0) {
		log_err("storage: no random bytes");
		return -1;
	}
	const char *file = arena_printf(a, "%s.%s", id, kind->ext);
	if (cfg->s3_endpoint)
		return put_s3(a, file, data, len, kind->mime, url);
	return put_local(a, file, data, len, url);
}

void storage_forget_image(const char *url)
{
	char path[4096];
	size_t m = strlen(cfg->media_url);

	if (strncmp(url, cfg->media_url, m) != 0 || strncmp(url + m, "/products/", 10) != 0)
		return;
	const char *file = url + m + 10;
	/* only names this module makes: hex id, dot, extension */
	if (strspn(file, "0123456789abcdef") != 32 || file[32] != '.' || strchr(file, '/'))
		return;
	snprintf(path, sizeof path, "%s/products/%s", cfg->storage_dir, file);
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("storage: cannot remove %s: %s", path, strerror(errno));
}
