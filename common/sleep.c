/* SPDX-License-Identifier: Apache-2.0 */
/* Sleeping a while. */
#include "sleep.h"

#include <errno.h>
#include <time.h>

void sleep_us(unsigned long us)
{
	struct timespec ts = {.tv_sec = (time_t)(us / 1000000),
			      .tv_nsec = (long)(us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void sleep_ms(unsigned int ms)
{
	sleep_us((unsigned long)ms * 1000);
}
