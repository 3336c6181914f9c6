/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-512 (FIPS 180-4), for the names and comments the reference derives from hashes. */
#ifndef CNI_SHA512_H
#define CNI_SHA512_H

#include <stddef.h>
#include <stdint.h>

/* Length of a digest in bytes. */
#define SHA512_DIGEST_LEN 64

/* Digest of data[0..len) into out. */
void sha512(const void *data, size_t len, uint8_t out[SHA512_DIGEST_LEN]);

/*
 * The first nchars lower-case hex characters of sha512(data) into out
 * (which must hold nchars + 1 bytes; nchars <= 128). Returns out.
 */
char *sha512_hex(const void *data, size_t len, size_t nchars, char *out);

/*
 * sha512_hex() of the text printf would make of fmt and its arguments, every
 * byte of it whatever its length (a key joined from names). 0, or -ENOMEM with
 * out untouched.
 */
int sha512_hex_printf(size_t nchars, char *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
