/*
 * HMAC-SHA256 through OpenSSL, as lower-case hex, and the constant-time
 * comparison every secret check uses (slash-command tokens, button
 * signatures): a plain strcmp would tell an attacker, by its timing, how
 * many leading bytes of a guess were right.
 */
#ifndef PMBOT_HMAC_H
#define PMBOT_HMAC_H

#include <stddef.h>

/* Hex digits of a SHA-256 digest plus the NUL. */
#define HMAC_HEX_LEN 65

/* Writes HMAC-SHA256(key, data) as 64 hex digits and a NUL into out.
 * Returns 0, or -1 when OpenSSL fails (out is then ""). */
int hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char out[HMAC_HEX_LEN]);

/* 1 when a and b hold the same bytes.  The time taken depends only on
 * the lengths, never on where the strings differ. */
int hmac_equal(const void *a, size_t alen, const void *b, size_t blen);
/* The same for NUL-terminated strings; NULL never matches. */
int hmac_streq(const char *a, const char *b);

#endif
