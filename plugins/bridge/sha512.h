/* SHA-512 (FIPS 180-4), self-contained, for the reference's rule-comment hashes. */
#ifndef BRIDGE_SHA512_H
#define BRIDGE_SHA512_H

#include <stddef.h>
#include <stdint.h>

/* Digest length in bytes. */
#define SHA512_DIGEST_LEN 64

/* SHA-512 of data[0..len) into out. */
void sha512(const void *data, size_t len, uint8_t out[SHA512_DIGEST_LEN]);

/*
 * The first n (<= 128) lower-case hex characters of SHA-512(data), NUL-terminated
 * in out (n + 1 bytes); returns out. Go's utils.MustFormatHashWithPrefix(n, "", s).
 */
char *bridge_sha512_hex(const void *data, size_t len, size_t n, char *out);

#endif
