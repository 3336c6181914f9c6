/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper for the dhcp daemon's tests: `daemon [flags]` runs the daemon (while bin/dhcp
 * cannot), and `call <socket> <method> <containerID> <netns> <ifname> <config file>` makes
 * one net/rpc call as a plugin would: it prints the result of DHCP.Allocate as JSON, "{}"
 * for other methods, or the daemon's error on stderr with exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "cni/result.h"
#include "dhcp/daemon.h"
#include "dhcp/rpc.h"
#include "dhcp/rpc_types.h"

static int call(char **argv)
{
	struct rpc_cmd_args args = {0};
	struct rpc_result res = {0};
	struct rpc_empty empty = {0};
	struct cni_result *cres = NULL;
	struct cni_err err = {0};
	char *conf = NULL, *remote = NULL, *out = NULL;
	size_t len = 0;
	bool alloc = strcmp(argv[1], "DHCP.Allocate") == 0;
	int r;

	if (fileio_read_path(argv[5], 1 << 20, &conf, &len) < 0) {
		fprintf(stderr, "cannot read %s\n", argv[5]);
		return 2;
	}
	args.container_id = argv[2];
	args.netns = argv[3];
	args.ifname = argv[4];
	args.args = "";
	args.path = "/opt/cni/bin";
	args.stdin_data.data = (uint8_t *)conf;
	args.stdin_data.len = len;
	r = rpc_call(argv[0], argv[1], &rpc_cmd_args_schema, &args,
		     alloc ? &rpc_result_schema : &rpc_empty_schema, alloc ? (void *)&res : &empty,
		     60000, 0, &remote, &err);
	free(conf);
	if (r < 0) {
		fprintf(stderr, "call failed: %s\n", err.msg);
		return 2;
	}
	if (remote) {
		fprintf(stderr, "%s\n", remote);
		free(remote);
		return 1;
	}
	if (!alloc) {
		printf("{}\n");
		return 0;
	}
	r = rpc_result_to_cni(&res, &cres, &err);
	if (r == 0)
		r = cni_result_print(cres, "1.0.0", &out, &err);
	gob_free(&rpc_result_schema, &res);
	cni_result_free(cres);
	if (r < 0) {
		fprintf(stderr, "bad result: %s\n", err.msg);
		return 2;
	}
	printf("%s\n", out);
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "daemon") == 0)
		return dhcp_daemon_main(argc - 1, argv + 1);
	if (argc == 8 && strcmp(argv[1], "call") == 0)
		return call(argv + 2);
	fprintf(stderr,
		"usage: %s daemon [flags] | call <socket> <method> <containerID> "
		"<netns> <ifname> <config file>\n",
		argv[0]);
	return 2;
}
