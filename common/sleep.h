/* SPDX-License-Identifier: Apache-2.0 */
/* Sleeping a while. */
#ifndef CNI_SLEEP_H
#define CNI_SLEEP_H

/* Sleep for us microseconds, the whole time even when signals interrupt it. */
void sleep_us(unsigned long us);

/* Sleep for ms milliseconds, as sleep_us(). */
void sleep_ms(unsigned int ms);

#endif
