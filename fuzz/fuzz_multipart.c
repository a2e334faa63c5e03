/* fuzz_multipart.c: an image upload as the worker reads it: the boundary of
 * the Content-Type, the multipart body (multipart.c), the "csrf" and "image"
 * parts, and the magic-byte sniffing of the image (image_sniff, storage.c).
 *
 * Input: the Content-Type header, a newline, then the body.
 * Properties: a parsed body has 1..MP_MAX_PARTS parts, each named, each with
 * its data inside the body; multipart_find returns a part of that name; a
 * sniffed image is one of our three kinds and starts with that kind's magic. */
#include "fuzz.h"
#include "multipart.h"
#include "storage.h"

static struct arena *a;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_keep_stderr();
	a = arena_new();
	return 0;
}

static void check_image(const unsigned char *d, size_t n)
{
	const struct image_kind *k = image_sniff(d, n);

	if (!k)
		return;
	if (strcmp(k->ext, "png") == 0)
		FUZZ_ASSERT(n >= 33 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(d + 12, "IHDR", 4) == 0,
			    "a PNG without its signature and IHDR");
	else if (strcmp(k->ext, "jpg") == 0)
		FUZZ_ASSERT(n >= 4 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF, "a JPEG without its SOI marker");
	else if (strcmp(k->ext, "webp") == 0)
		FUZZ_ASSERT(n >= 16 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0, "a WebP without RIFF/WEBP");
	else
		fuzz_fail("image_sniff answered kind %s", k->ext);
	FUZZ_ASSERT(strncmp(k->mime, "image/", 6) == 0, "image kind %s has MIME type %s", k->ext, k->mime);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ctlen = nl ? (size_t)(nl - data) : size;
	char *ctype = arena_strndup(a, (const char *)data, ctlen); /* a header value: a C string */
	const char *body = nl ? (const char *)nl + 1 : "";
	size_t len = nl ? size - ctlen - 1 : 0;
	char boundary[71], err[160];

	if (multipart_boundary(ctype, boundary) == 0)
		FUZZ_ASSERT(boundary[0] && strlen(boundary) <= 70, "a boundary of %zu bytes", strlen(boundary));
	/* the worker's copy of a body is NUL-terminated; the parser must not need it */
	char *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, body, len);
	struct mp_part *parts = arena_alloc(a, MP_MAX_PARTS * sizeof *parts);
	int n = multipart_parse(a, ctype, copy, len, parts, MP_MAX_PARTS, err, sizeof err);
	if (n < 0) {
		FUZZ_ASSERT(n == -1 && err[0], "a malformed body refused without a reason");
	} else {
		FUZZ_ASSERT(n >= 1 && n <= MP_MAX_PARTS, "%d parts", n);
		for (int i = 0; i < n; i++) {
			const struct mp_part *p = &parts[i];
			FUZZ_ASSERT(p->name && *p->name, "part %d has no name", i);
			FUZZ_ASSERT(p->data >= copy && p->data + p->len <= copy + len, "part %d lies outside the body", i);
			FUZZ_ASSERT(multipart_find(parts, n, p->name) != NULL, "part %s not found by its name", p->name);
			check_image((const unsigned char *)p->data, p->len);
		}
		const struct mp_part *csrf = multipart_find(parts, n, "csrf");
		if (csrf)
			arena_strndup(a, csrf->data, csrf->len); /* as check_csrf in worker.c */
		const struct mp_part *img = multipart_find(parts, n, "image");
		FUZZ_ASSERT(!img || strcmp(img->name, "image") == 0, "multipart_find returned %s for image", img->name);
	}
	check_image(data, size);
	free(copy);
	arena_reset(a);
	return 0;
}
