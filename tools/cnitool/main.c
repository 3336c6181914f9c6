/* SPDX-License-Identifier: Apache-2.0 */
/* cnitool: the runtime side of CNI, command-line compatible with Go's cnitool. */
#include "cnitool/cnitool.h"

int main(int argc, char **argv)
{
	return cnitool_main(argc, argv);
}
