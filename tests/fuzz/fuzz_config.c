/*
 * libFuzzer target for the configuration parser: comment stripping, UTF-8
 * checks, JSON parsing, the key-table walk and every value check see the
 * fuzzer's bytes through config_load_string, which reads neither files
 * nor the environment.  Everything is freed so that leaks show up.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "limits.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct config_problems probs;
	char *text;

	if (size > LIMIT_CONFIG_FILE)
		return 0;
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	config_load_string(&cfg, text, &probs);
	/* The helpers must cope with whatever half-filled config results. */
	config_listens_in(&cfg, "pm");
	config_channel(&cfg, "pm");
	config_meeting(&cfg, "pm-weekly-sync");
	config_rotation(&cfg, "triage");
	config_checklist(&cfg, "pre-launch");
	config_free(&cfg);
	config_problems_free(&probs);
	/* A redis:// password registers a secret; keep the list bounded. */
	log_clear_secrets();
	free(text);
	return 0;
}
