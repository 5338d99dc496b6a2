/*
 * The scheduler's clock (see clock.h).  The pinned value is the only
 * mutable state here; it stays 0 in the product.
 */
#include <time.h>

#include "clock.h"

static long long pinned_ms;

long long
clock_now_ms(void)
{
	struct timespec ts;

	if (pinned_ms != 0)
		return pinned_ms;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clock_set_ms(long long ms)
{
	pinned_ms = ms;
}
