/*
 * The messages bench/render-preview.sh shows, rendered by pmbot's own
 * renderers: each sample as Slack would receive it (the mrkdwn text and
 * the Block Kit blocks of chat.postMessage) and as Mattermost would
 * (the bodies of POST /posts, attachments included).  The help list and
 * the guide answers come from the real handlers through the router; the
 * brief card from brief_card() on a stored brief, with two buttons added
 * since no command puts buttons on that card yet.  Prints one JSON array
 * on stdout.  Built by the script against a build's libpmbotcore.a; not
 * part of the product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis.h>

#include "bot.h"
#include "brief.h"
#include "buf.h"
#include "mattermost_int.h"
#include "message.h"
#include "router.h"
#include "slack.h"

struct capture {
	struct message *m;
	int ephemeral;
};

static void
capture_send(void *ctx, const struct request *req, const struct message *m,
    int ephemeral)
{
	struct capture *c = ctx;

	if (c->m != NULL)
		message_free(c->m);
	c->m = message_dup(m);
	c->ephemeral = ephemeral;
}

static void
capture_release(void *ctx)
{
}

/* The first reply to line, typed in #ask-experimenter; the caller frees
 * it.  help and guide answer at once, without the store. */
static struct message *
run(struct bot *bot, const char *line, int *ephemeral)
{
	struct capture c = {NULL, 0};
	struct incoming in;

	memset(&in, 0, sizeof in);
	in.user = "alice";
	in.channel = "ask-experimenter";
	in.text = line;
	in.source = SRC_SLASH;
	in.sink.send = capture_send;
	in.sink.release = capture_release;
	in.sink.ctx = &c;
	router_handle(bot, &in);
	if (c.m == NULL) {
		fprintf(stderr, "render_preview: no reply to %s\n", line);
		exit(1);
	}
	*ephemeral = c.ephemeral;
	return c.m;
}

static redisReply *
str_reply(const char *s)
{
	redisReply *r = calloc(1, sizeof *r);

	if (r == NULL)
		abort();
	r->type = REDIS_REPLY_STRING;
	r->str = strdup(s);
	r->len = strlen(s);
	return r;
}

/* The brief card, from an HGETALL reply like the store's. */
static struct message *
card(struct bot *bot)
{
	static const char *const pairs[] = {"slug", "onboarding-v2", "title",
	    "Onboarding v2: shorter sign-up", "url",
	    "https://docs.example.com/briefs/onboarding-v2", "owner", "alice",
	    "stage", "review", "qa_key", "QA-1234", "qa_url",
	    "https://jira.example.com/browse/QA-1234"};
	size_t n = sizeof pairs / sizeof pairs[0], i;
	redisReply h = {.type = REDIS_REPLY_ARRAY};
	struct request req;
	struct message *m;

	h.elements = n;
	h.element = calloc(n, sizeof *h.element);
	if (h.element == NULL)
		abort();
	for (i = 0; i < n; i++)
		h.element[i] = str_reply(pairs[i]);
	memset(&req, 0, sizeof req);
	req.cfg = &bot->cfg;
	m = brief_card(&req, &h);
	message_button(
	    m, "Move to preview", "brief stage onboarding-v2 preview", 1);
	message_button(m, "Checklist", "checklist onboarding-v2", 0);
	for (i = 0; i < n; i++) {
		free(h.element[i]->str);
		free(h.element[i]);
	}
	free(h.element);
	return m;
}

static void
add_sample(cJSON *all, const char *name, const struct message *m, int ephemeral)
{
	cJSON *o = cJSON_CreateObject(), *slack, *mm, *posts;
	char *text = slack_render_text(m), *blocks, **bodies;
	size_t n, i;

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddBoolToObject(o, "ephemeral", ephemeral);
	slack = cJSON_AddObjectToObject(o, "slack");
	cJSON_AddStringToObject(slack, "text", text);
	free(text);
	/* As chat.postMessage sends it: blocks only for a card or
	 * buttons. */
	if (m->card_title != NULL || m->nfields > 0 || m->nbuttons > 0) {
		blocks = slack_render_blocks(m);
		cJSON_AddItemToObject(slack, "blocks", cJSON_Parse(blocks));
		free(blocks);
	}
	mm = cJSON_AddObjectToObject(o, "mattermost");
	posts = cJSON_AddArrayToObject(mm, "posts");
	n = mm_render_posts(m, "channelid", NULL,
	    "http://127.0.0.1:8787/mattermost/action", "preview-key", &bodies);
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(posts, cJSON_Parse(bodies[i]));
		free(bodies[i]);
	}
	free(bodies);
	cJSON_AddItemToArray(all, o);
}

int
main(int argc, char **argv)
{
	static struct bot bot;
	cJSON *all = cJSON_CreateArray();
	struct message *m;
	char *out;
	int eph;

	if (argc != 2) {
		fprintf(stderr, "usage: render_preview <guide.md>\n");
		return 2;
	}
	bot.cfg.bot_name = "pmbot";
	bot.cfg.guide_path = argv[1];
	bot.cfg.experimenter_url =
	    "https://experimenter.example.com/nimbus/{slug}";

	m = card(&bot);
	add_sample(all, "brief card", m, 0);
	message_free(m);
	m = run(&bot, "/pm help", &eph);
	add_sample(all, "help list", m, eph);
	message_free(m);
	m = run(&bot, "/guide start", &eph);
	add_sample(all, "guide answer", m, eph);
	message_free(m);
	/* The script adds this topic: links, markup and the characters
	 * Slack wants escaped, which the shipped guide does not use. */
	m = run(&bot, "/guide preview", &eph);
	add_sample(all, "guide answer with links", m, eph);
	message_free(m);

	out = cJSON_Print(all);
	puts(out);
	free(out);
	cJSON_Delete(all);
	return 0;
}
