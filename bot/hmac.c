/*
 * HMAC-SHA256 and constant-time comparison (see hmac.h).  OpenSSL's
 * one-shot HMAC() is enough: keys and messages here are short.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hmac.h"

int
hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
    char out[HMAC_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out[0] = '\0';
	/* OpenSSL wants a non-NULL key even when it is empty. */
	if (HMAC(EVP_sha256(), keylen ? key : "", (int)keylen,
		len ? data : (const void *)"", len, md, &mdlen) == NULL ||
	    mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * mdlen] = '\0';
	return 0;
}

int
hmac_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/* A length mismatch may show in the timing; the content must not,
	 * so the bytes are still compared (against themselves). */
	if (alen != blen) {
		(void)CRYPTO_memcmp(a, a, alen);
		return 0;
	}
	return CRYPTO_memcmp(a, b, alen) == 0;
}

int
hmac_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return hmac_equal(a, strlen(a), b, strlen(b));
}
