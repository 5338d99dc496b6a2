/*
 * libFuzzer target for the /remind time grammar (bot/when.c): any bytes
 * typed after "/remind me".  Beyond not crashing, it checks what the
 * handler relies on: a refusal always says why, an accepted phrase fires
 * after "now" and within the five-year bound, the text offset lies inside
 * the input, and a repetition's rule is one libical accepts and agrees
 * with on the first firing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recur.h"
#include "when.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A command line is at most a few KiB; the grammar looks at 48 words. */
#define FUZZ_WHEN_MAX 4096
#define FUZZ_NOW_MS 1772820000000LL /* 2026-03-06T18:00:00Z */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, err[256];
	struct when w;
	long long next[1];

	if (size > FUZZ_WHEN_MAX)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (when_parse(text, FUZZ_NOW_MS, "America/Los_Angeles", &w, err,
		sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	if (w.at_ms <= FUZZ_NOW_MS ||
	    w.at_ms > FUZZ_NOW_MS + (WHEN_MAX_AHEAD_DAYS + 400) * 86400000LL ||
	    w.what > strlen(text) || !recur_zone_valid(w.tz))
		abort();
	if (w.kind == WHEN_REPEAT &&
	    (recur_next(w.rrule, w.dtstart, w.tz, FUZZ_NOW_MS, next, 1) != 1 ||
		next[0] != w.at_ms))
		abort();
	free(text);
	return 0;
}
