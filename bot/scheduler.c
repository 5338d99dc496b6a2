/* Placeholder until the scheduler lands: nothing is scheduled. */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "scheduler.h"

struct scheduler {
	struct bot *bot;
};

struct scheduler *
scheduler_new(struct bot *bot)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));

	s->bot = bot;
	return s;
}

void
scheduler_start(struct scheduler *s)
{
}

void
scheduler_stop(struct scheduler *s, void (*done)(void *), void *priv)
{
	done(priv);
}

void
scheduler_free(struct scheduler *s)
{
	free(s);
}

int
schedule_command(
    const struct config *cfg, const char *from, int days, int format)
{
	fprintf(stderr, "pmbot: schedule is not available yet\n");
	return 2;
}
