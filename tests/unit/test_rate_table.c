/*
 * The per-user rate table when more people are active within a window
 * than it remembers (LIMIT_RATE_USERS): everyone's first command still
 * runs, and a user over the limit is still refused.  The table makes
 * room one bucket at a time there (bot/router.c, rate_evict), found by
 * bench/run where a full sweep per command cost more than the command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "limits.h"
#include "router.h"

static void
test_full_table_serves_everyone(void **state)
{
	struct rate_table *t = rate_table_new(2);
	long long t0 = 1700000000000LL;
	char name[32];
	int i;

	(void)state;
	for (i = 0; i < 3 * LIMIT_RATE_USERS; i++) {
		snprintf(name, sizeof name, "U%09d", i);
		assert_true(rate_table_take(t, name, t0 + i / 100));
	}
	/* A user who just spent the budget is refused, full table or not. */
	assert_true(rate_table_take(t, "heavy", t0 + 100));
	assert_true(rate_table_take(t, "heavy", t0 + 100));
	assert_false(rate_table_take(t, "heavy", t0 + 101));
	rate_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_table_serves_everyone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
