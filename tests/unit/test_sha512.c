/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-512 against FIPS 180-4 vectors and values computed with Python hashlib. */
#include "cleanup.h"
#include "sha512.h"
#include "unit.h"

static const char *hex(const char *s, size_t n)
{
	static char out[129];

	return sha512_hex(s, n, 128, out);
}

static void test_vectors(void)
{
	char big[1000];

	CHECK_STR(hex("", 0), "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
			      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
	CHECK_STR(hex("abc", 3),
		  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	CHECK_STR(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
		      "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		      112),
		  "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
		  "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
	/* Runs of 'a': 111 and 112 bytes straddle the padding boundary. */
	static const struct {
		size_t len;	 /* bytes of 'a' hashed */
		const char *hex; /* the digest */
	} runs[] = {
		{111, "fa9121c7b32b9e01733d034cfc78cbf67f926c7ed83e82200ef86818196921760"
		      "b4beff48404df811b953828274461673c68d04e297b0eb7b2b4d60fc6b566a2"},
		{112, "c01d080efd492776a1c43bd23dd99d0a2e626d481e16782e75d54c2503b5dc32"
		      "bd05f0f1ba33e568b88fd2d970929b719ecbb152f58f130a407c8830604b70ca"},
		{128, "b73d1929aa615934e61a871596b3f3b33359f42b8175602e89f7e06e5f658a24"
		      "3667807ed300314b95cacdd579f3e33abdfbe351909519a846d465c59582f321"},
		{239, "52c853cb8d907f3d4d6b889beb027985d7c273486d75f8baf26f80d24e90c74c"
		      "6c3de3e22131582380a7d14d43f2941a31385439cd6ddc469f628015e50bf286"},
		{1000,
		 "67ba5535a46e3f86dbfbed8cbbaf0125c76ed549ff8b0b9e03e0c88cf90fa634fa7b12b47d77b694"
		 "de488ace8d9a65967dc96df599727d3292a8d9d447709c97"},
	};
	memset(big, 'a', sizeof(big));
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		CHECK_STR(hex(big, runs[i].len), runs[i].hex);
}

static void test_prefix(void)
{
	char out[32];

	/* The reference's chain names: sha512(network + containerID) prefixes. */
	CHECK_STR(sha512_hex("abc", 3, 16, out), "ddaf35a193617aba");
	CHECK_INT(strlen(sha512_hex("x", 1, 21, out)), 21);
}

int main(void)
{
	RUN(test_vectors);
	RUN(test_prefix);
	UNIT_DONE();
}
