/* test_multipart.c: the strict multipart/form-data parser and image sniffing by magic bytes. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "multipart.h"
#include "storage.h"
#include "tap.h"

#define CT "multipart/form-data; boundary=XyZ"

static int parse(struct arena *a, const char *ct, const char *body, size_t len, struct mp_part *parts)
{
	char err[160];
	return multipart_parse(a, ct, body, len, parts, MP_MAX_PARTS, err, sizeof err);
}

static int parse_s(struct arena *a, const char *body, struct mp_part *parts)
{
	return parse(a, CT, body, strlen(body), parts);
}

static void test_boundary(void)
{
	char b[71];

	ok(multipart_boundary(CT, b) == 0 && strcmp(b, "XyZ") == 0, "plain boundary");
	ok(multipart_boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b'c\"", b) == 0 && strcmp(b, "a b'c") == 0,
	   "quoted boundary, case-insensitive names, other params");
	ok(multipart_boundary("multipart/form-data", b) != 0, "no boundary");
	ok(multipart_boundary("multipart/form-data; boundary=", b) != 0, "empty boundary");
	ok(multipart_boundary("multipart/form-data; boundary=\"x", b) != 0, "unterminated quote");
	ok(multipart_boundary("multipart/mixed; boundary=x", b) != 0, "not form-data");
	char longb[120] = "multipart/form-data; boundary=";
	memset(longb + strlen(longb), 'a', 71);
	ok(multipart_boundary(longb, b) != 0, "boundary over 70 characters");
	ok(multipart_boundary("multipart/form-data; boundary=a; boundary=b", b) != 0, "two boundaries");
	ok(multipart_boundary("multipart/form-data; boundary=\"ab \"", b) != 0, "trailing space in boundary");
	ok(multipart_boundary(NULL, b) != 0, "no content type");
}

static void test_parse_ok(struct arena *a)
{
	struct mp_part p[MP_MAX_PARTS];
	const char body[] =
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"title\"\r\n\r\n"
		"Rose cake\r\n"
		"--XyZ\r\n"
		"content-disposition: form-data; name=image; filename=\"my \\\"best\\\" cake.png\"\r\n"
		"Content-Type: image/png\r\n"
		"X-Other: ignored\r\n\r\n"
		"\x89PNG\r\n--XyYnear-boundary\0bin\r\n"
		"--XyZ--\r\n";
	int n = parse(a, CT, body, sizeof body - 1, p);

	ok(n == 2, "two parts (got %d)", n);
	if (n != 2)
		return;
	is_str(p[0].name, "title", "first name");
	ok(p[0].filename == NULL && p[0].content_type == NULL, "first part is a plain field");
	ok(p[0].len == 9 && memcmp(p[0].data, "Rose cake", 9) == 0, "first data");
	is_str(p[1].name, "image", "token name");
	is_str(p[1].filename, "my \"best\" cake.png", "quoted filename with escapes");
	is_str(p[1].content_type, "image/png", "part content type");
	ok(p[1].len == 28 && memcmp(p[1].data, "\x89PNG\r\n--XyYnear-boundary\0bin", 28) == 0,
	   "binary data with CRLF, NUL and a near-boundary kept");
	ok(multipart_find(p, n, "image") == &p[1] && multipart_find(p, n, "nope") == NULL, "find by name");

	ok(parse_s(a, "--XyZ\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--XyZ--", p) == 1 && p[0].len == 0,
	   "empty part, no CRLF after the closing boundary");
}

static void test_parse_bad(struct arena *a)
{
	struct mp_part p[MP_MAX_PARTS];
	static const char *bad[] = {
		"",
		"--XyZ--\r\n",
		"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--junk",
		"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nno colon here\r\n\r\nx\r\n--XyZ--\r\n",
		"--XyZ\nContent-Disposition: form-data; name=\"a\"\n\nx\n--XyZ--\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZtrailing\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nx\r\n--XyZ--\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(parse_s(a, bad[i], p) < 0, "malformed body %zu refused", i);
	ok(parse(a, "multipart/form-data", "--XyZ--", 7, p) < 0, "no boundary in the content type");

	/* header block bound */
	size_t big = MP_MAX_HEADER_BYTES + 100;
	char *b = malloc(big + 200);
	int k = sprintf(b, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: ");
	memset(b + k, 'p', big);
	strcpy(b + k + big, "\r\n\r\nx\r\n--XyZ--\r\n");
	ok(parse_s(a, b, p) < 0, "part headers over the bound refused");
	free(b);

	/* part count bound */
	char many[4096];
	size_t o = 0;
	for (int i = 0; i <= MP_MAX_PARTS; i++)
		o += (size_t)sprintf(many + o, "--XyZ\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
	strcpy(many + o, "--XyZ--\r\n");
	ok(parse_s(a, many, p) < 0, "more than %d parts refused", MP_MAX_PARTS);
}

static void test_sniff(void)
{
	/* a real 1x1 PNG header: signature + IHDR with its CRC */
	static const unsigned char png[] = {
		0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
		0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0
	};
	unsigned char junk[sizeof png];
	const struct image_kind *k = image_sniff(png, sizeof png);

	ok(k && strcmp(k->ext, "png") == 0 && strcmp(k->mime, "image/png") == 0, "PNG by signature and IHDR");
	memcpy(junk, png, 8);
	memset(junk + 8, 'j', sizeof junk - 8);
	ok(image_sniff(junk, sizeof junk) == NULL, "PNG signature followed by junk refused");
	memcpy(junk, png, sizeof png);
	junk[20] ^= 1;
	ok(image_sniff(junk, sizeof junk) == NULL, "PNG with a bad IHDR CRC refused");
	ok(image_sniff(png, 20) == NULL, "truncated PNG refused");
	ok(image_sniff((const unsigned char *)"\x89PNG\r\n\x1a", 7) == NULL, "short PNG signature refused");
	k = image_sniff((const unsigned char *)"\xFF\xD8\xFF\xE0\0\x10JFIF", 10);
	ok(k && strcmp(k->ext, "jpg") == 0, "JPEG by FF D8 FF");
	k = image_sniff((const unsigned char *)"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0", 20);
	ok(k && strcmp(k->ext, "webp") == 0 && strcmp(k->mime, "image/webp") == 0, "WebP by RIFF....WEBP");
	ok(image_sniff((const unsigned char *)"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0", 20) == NULL, "RIFF WAVE refused");
	ok(image_sniff((const unsigned char *)"GIF89a\1\0\1\0", 10) == NULL, "GIF refused");
	ok(image_sniff((const unsigned char *)"hello, world", 12) == NULL, "text refused");
	ok(image_sniff((const unsigned char *)"", 0) == NULL, "empty refused");
}

static void test_sha256(void)
{
	char h[65];
	sha256_hex("abc", 3, h);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256 of abc");
}

int main(void)
{
	struct arena *a = arena_new();

	test_boundary();
	test_parse_ok(a);
	test_parse_bad(a);
	test_sniff();
	test_sha256();
	arena_free(a);
	return done_testing();
}
