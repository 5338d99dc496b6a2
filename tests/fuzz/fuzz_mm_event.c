/*
 * libFuzzer target for what the Mattermost event stream reads: one
 * WebSocket message through the frame classifier, a "posted" event's
 * inner post (JSON inside a JSON string), the mention check, and the
 * post bodies a reply to it becomes.  Beyond not crashing it checks
 * what the adapter relies on: an event has a name and a seq >= 0, a
 * post has its ids, a mention's remainder is no longer than the text,
 * and every rendered body is JSON within the server's post limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "mattermost_int.h"
#include "message.h"
#include "outbox.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
runes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
check_render(const char *text)
{
	struct message *m = message_new();
	char **bodies;
	size_t n, i;

	message_printf(m, "%s", text);
	message_button(m, "Ack", text, 1);
	n = mm_render_posts(
	    m, "c", "r", "http://127.0.0.1/mattermost/action", "key", &bodies);
	if (n == 0)
		abort();
	for (i = 0; i < n; i++) {
		cJSON *b = cJSON_Parse(bodies[i]);
		cJSON *msg = cJSON_GetObjectItemCaseSensitive(b, "message");

		if (!cJSON_IsString(msg) ||
		    runes(msg->valuestring) > LIMIT_POST_RUNES)
			abort();
		cJSON_Delete(b);
	}
	outbox_split_free(bodies);
	message_free(m);
}

static void
check_post(const cJSON *data)
{
	cJSON *post = mm_event_post(data);
	struct mm_post_info pi;
	char *rest = NULL;

	if (post == NULL)
		return;
	if (mm_post_fields(post, &pi) < 0 || pi.id == NULL ||
	    pi.channel_id == NULL || pi.message == NULL)
		abort();
	if (mm_mentions(pi.message, "pmbot", &rest)) {
		if (rest == NULL || strlen(rest) > strlen(pi.message))
			abort();
		free(rest);
	}
	if (utf8_valid(pi.message, strlen(pi.message)) &&
	    strlen(pi.message) < 64 * 1024)
		check_render(pi.message);
	cJSON_Delete(post);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_frame f;

	switch (mm_parse_frame((const char *)data, size, &f)) {
	case MM_FRAME_EVENT:
		if (f.event == NULL || f.seq < 0)
			abort();
		if (strcmp(f.event, "posted") == 0 && f.data != NULL)
			check_post(f.data);
		break;
	case MM_FRAME_REPLY:
		if (f.root == NULL)
			abort();
		break;
	case MM_FRAME_BAD:
		break;
	}
	mm_frame_free(&f);
	return 0;
}
