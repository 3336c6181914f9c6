/* SPDX-License-Identifier: Apache-2.0 */
/* The shared ipMasq layer (bridge, ptp): the backend key; live, in a private namespace: setup
 * in each backend and the automatic choice, CHECK seeing what is there and what is not,
 * teardown by name in both layouts, GC keeping the valid attachments. */
#include "unit.h"
#include "live.h"

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "ipmasq/ipmasq.h"
#include "ipmasq/masq.h"

/* The backend "ipMasqBackend": value (JSON text, NULL for absent) loads as: 0 or the code. */
static int backend(const char *value, enum masq_backend *ret)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	char text[128];

	snprintf(text, sizeof(text), "{%s%s}", value ? "\"ipMasqBackend\": " : "",
		 value ? value : "");
	root = cJSON_Parse(text);
	if (!root)
		abort();
	cni_err_clear(&err);
	if (ipmasq_backend_load(root, ret, &err) < 0)
		return err.code;
	return 0;
}

static void test_backend_key(void)
{
	enum masq_backend b = MASQ_BACKEND_IPTABLES;

	CHECK_INT(backend(NULL, &b), 0);
	CHECK_INT(b, MASQ_BACKEND_AUTO);
	CHECK_INT(backend("\"nftables\"", &b), 0);
	CHECK_INT(b, MASQ_BACKEND_NFTABLES);
	CHECK_INT(backend("\"iptables\"", &b), 0);
	CHECK_INT(b, MASQ_BACKEND_IPTABLES);
	CHECK_INT(backend("\"ebtables\"", &b), 7);
	CHECK_STR(err.msg, "unknown ipmasq backend \"ebtables\"");
	CHECK_INT(backend("5", &b), 7);
	CHECK_INT(ipmasq_refuse_legacy(MASQ_BACKEND_NFTABLES, &err), 0);
}

/* A result with 10.99.0.5/24 and fd99::5/64. */
static struct cni_result *result(void)
{
	struct cni_result *r = cni_result_new();
	struct cni_ip a = {.iface = 1}, b = {.iface = 1};

	if (!r || ipnet_parse("10.99.0.5/24", &a.address) < 0 ||
	    ipnet_parse("fd99::5/64", &b.address) < 0 || cni_result_add_ip(r, &a) < 0 ||
	    cni_result_add_ip(r, &b) < 0)
		abort();
	return r;
}

/* Set up id's rules with backend be in a fresh transaction and commit them. */
static int commit_setup(enum masq_backend be, const struct cni_result *res, const char *id,
			bool *ret_xt)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;

	if (nft_txn_new(&txn, &err) < 0 ||
	    ipmasq_queue_setup(txn, be, res, "mnet", "eth0", id, ret_xt, &err) < 0)
		return -1;
	return nft_txn_commit(txn, &err);
}

/* CHECK: the first address without a rule ("" when none). */
static void missing(const struct cni_result *res, const char *id, char *out, size_t len)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct ip_net m;

	out[0] = '\0';
	OK(nft_txn_new(&txn, &err));
	OK(ipmasq_check(txn, res, "mnet", "eth0", id, &m, &err));
	if (m.ip.family)
		ipnet_format(&m, out, len);
}

static void teardown(const char *id, bool xt)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;

	OK(nft_txn_new(&txn, &err));
	OK(ipmasq_queue_teardown(txn, "mnet", "eth0", id, xt, &err));
	OK(nft_txn_commit(txn, &err));
}

static void test_live(void)
{
	_cleanup_(cni_result_freep) struct cni_result *res = result();
	_cleanup_free_ char *nft = NULL;
	char m[64];
	bool used_xt = true;

	LIVE_FRESH();
	/* Nothing there: the first address is missing. */
	missing(res, "c1", m, sizeof(m));
	CHECK_STR(m, "10.99.0.5/24");
	/* The automatic backend on a clean node: nftables. */
	OK(commit_setup(MASQ_BACKEND_AUTO, res, "c1", &used_xt));
	CHECK(!used_xt);
	missing(res, "c1", m, sizeof(m));
	CHECK_STR(m, "");
	missing(res, "c2", m, sizeof(m));
	CHECK_STR(m, "10.99.0.5/24");
	/* The iptables layout, then the automatic choice follows it for this network. */
	OK(commit_setup(MASQ_BACKEND_IPTABLES, res, "c2", &used_xt));
	CHECK(used_xt);
	missing(res, "c2", m, sizeof(m));
	CHECK_STR(m, "");
	OK(commit_setup(MASQ_BACKEND_AUTO, res, "c3", &used_xt));
	CHECK(used_xt);
	/* Teardown by name: without the iptables part the chains stay, with it they go. */
	teardown("c2", false);
	missing(res, "c2", m, sizeof(m));
	CHECK_STR(m, "");
	teardown("c2", true);
	missing(res, "c2", m, sizeof(m));
	CHECK_STR(m, "10.99.0.5/24");
	/* GC keeps c1 (nftables) and removes c3 (iptables). */
	{
		_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
		struct cni_attachment keep = {.container_id = "c1", .ifname = "eth0"};
		size_t n = 0;

		OK(nft_txn_new(&txn, &err));
		OK(ipmasq_queue_gc(txn, "mnet", &keep, 1, true, &n, &err));
		CHECK(n > 0);
		OK(nft_txn_commit(txn, &err));
	}
	missing(res, "c1", m, sizeof(m));
	CHECK_STR(m, "");
	missing(res, "c3", m, sizeof(m));
	CHECK_STR(m, "10.99.0.5/24");
	teardown("c1", true);
	missing(res, "c1", m, sizeof(m));
	CHECK_STR(m, "10.99.0.5/24");
	nft = live_output("nft list chain inet " MASQ_TABLE " " MASQ_CHAIN " | grep -c saddr");
	CHECK(nft && !strcmp(nft, "0\n"));
}

int main(void)
{
	RUN(test_backend_key);
	live_enter(0);
	RUN(test_live);
	UNIT_DONE();
}
