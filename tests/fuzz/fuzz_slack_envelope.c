/*
 * libFuzzer target for what Slack sends that the adapter reads itself:
 * Socket Mode frames (classified, with the envelope id and type pulled
 * out), Slack's escaped message text read back as typed, a request
 * signature check over arbitrary headers and body, and the mrkdwn and
 * Block Kit renderings of a message carrying the bytes.  Beyond not
 * crashing, it checks the promises the adapter relies on and aborts when
 * one breaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "limits.h"
#include "message.h"
#include "slack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_frame(const char *s, size_t size)
{
	char id[64], type[32];
	enum slack_frame f;

	f = slack_frame_parse(s, size, id, sizeof id, type, sizeof type);
	/* What comes out is always a terminated string within its room,
	 * and an envelope always has an id. */
	if (strlen(id) >= sizeof id || strlen(type) >= sizeof type)
		abort();
	if (f == SLACK_FRAME_ENVELOPE && id[0] == '\0')
		abort();
	if (f != SLACK_FRAME_ENVELOPE && id[0] != '\0')
		abort();
}

static const char *
lookup(void *priv, const char *id)
{
	return strcmp(id, "U1") == 0 ? "al" : NULL;
}

static void
check_text(const char *s)
{
	char *d = slack_text_decode(s, lookup, NULL);

	/* Decoding only ever removes Slack's markup, as long as a name is
	 * no longer than its id: "<@U1>" becomes "@al". */
	if (strlen(d) > strlen(s))
		abort();
	free(d);
}

static void
check_render(const char *s)
{
	struct message *m = message_new();
	char *blocks, *text;
	cJSON *b, *e;

	message_printf(m, "%s", s);
	message_card(m, s, "https://example.com/x");
	message_field(m, s, s, 1);
	message_button(m, s, s, 1);
	blocks = slack_render_blocks(m);
	b = cJSON_Parse(blocks);
	/* Always a Block Kit array, within Slack's limits. */
	if (b == NULL || !cJSON_IsArray(b) ||
	    cJSON_GetArraySize(b) > LIMIT_SLACK_BLOCKS)
		abort();
	cJSON_ArrayForEach (e, b) {
		const cJSON *t = cJSON_GetObjectItem(e, "text");
		const cJSON *tt = cJSON_GetObjectItem(t, "text");

		if (cJSON_IsString(tt) &&
		    (strlen(tt->valuestring) > LIMIT_SLACK_SECTION_TEXT ||
			tt->valuestring[0] == '\0'))
			abort();
	}
	cJSON_Delete(b);
	free(blocks);
	text = slack_render_text(m);
	if (text[0] == '\0' || strlen(text) > LIMIT_SLACK_TEXT)
		abort();
	free(text);
	message_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *nl;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_frame(s, size);
	check_text(s);
	if (size < 4096)
		check_render(s);
	/* "timestamp\nsignature\nbody": never OK without the secret's
	 * real HMAC, and never a crash. */
	nl = strchr(s, '\n');
	if (nl != NULL) {
		char *ts = strndup(s, (size_t)(nl - s));
		const char *rest = nl + 1, *nl2 = strchr(rest, '\n');
		char *sig =
		    strndup(rest, nl2 ? (size_t)(nl2 - rest) : strlen(rest));
		const char *body = nl2 ? nl2 + 1 : "";

		if (slack_signature_check("fuzz-secret-value", ts, sig, body,
			strlen(body), 1531420618LL) == SLACK_SIG_OK &&
		    strncmp(sig, "v0=", 3) != 0)
			abort();
		free(ts);
		free(sig);
	}
	free(s);
	return 0;
}
