/*
 * What the handler tests share: a struct bot on a private redis-server,
 * a sink that captures replies, an adapter that captures direct
 * messages, and helpers to type a line as a user and read what came
 * back.  Header-only, like redis_fixture.h; include it after cmocka.h.
 */
#ifndef PMBOT_HANDLER_FIXTURE_H
#define PMBOT_HANDLER_FIXTURE_H

#include "redis_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "router.h"
#include "store.h"

#define MAX_REPLIES 8
#define MAX_POSTS 8

struct capture {
	char *text[MAX_REPLIES];
	int ephemeral[MAX_REPLIES];
	int n;
	int releases;
	char *post_to[MAX_POSTS];
	char *post_text[MAX_POSTS];
	int nposts;
};

static struct redis_fixture rf = REDIS_FIXTURE_INIT;
static struct bot bot;
static struct capture cap;
static struct adapter dm_adapter;

static void
capture_send(void *ctx, const struct request *req, const struct message *m,
    int ephemeral)
{
	struct capture *c = ctx;

	(void)req;
	assert_true(c->n < MAX_REPLIES);
	c->text[c->n] = message_render_plain(m);
	c->ephemeral[c->n] = ephemeral;
	c->n++;
}

static void
capture_release(void *ctx)
{
	((struct capture *)ctx)->releases++;
}

static int
dm_post(struct adapter *a, const struct post *p)
{
	(void)a;
	assert_true(cap.nposts < MAX_POSTS);
	cap.post_to[cap.nposts] = strdup(p->channel);
	cap.post_text[cap.nposts] = message_render_plain(p->msg);
	cap.nposts++;
	return 0;
}

static int
dm_ready(const struct adapter *a)
{
	(void)a;
	return 1;
}

static const struct adapter_ops dm_ops = {
    .name = "capture", .post = dm_post, .ready = dm_ready};

static void
capture_reset(void)
{
	int i;

	for (i = 0; i < cap.n; i++)
		free(cap.text[i]);
	for (i = 0; i < cap.nposts; i++) {
		free(cap.post_to[i]);
		free(cap.post_text[i]);
	}
	memset(&cap, 0, sizeof cap);
}

/* Runs the loop until cond holds or 5 s pass. */
static int
spin_until(int (*cond)(void))
{
	int i;

	for (i = 0; i < 5000 && !cond(); i++) {
		uv_run(&bot.loop, UV_RUN_NOWAIT);
		if (!cond())
			redis_fixture_sleep_ms(1);
	}
	return cond();
}

static int
released(void)
{
	return cap.releases > 0;
}

static int
connected(void)
{
	return store_ready(bot.store);
}

/* Types a line as user and waits for the command to finish. */
static void
type_as(const char *user, const char *line)
{
	struct incoming in;

	capture_reset();
	memset(&in, 0, sizeof in);
	in.user = user;
	in.channel = "pm";
	in.text = line;
	in.source = SRC_SLASH;
	in.sink.send = capture_send;
	in.sink.release = capture_release;
	in.sink.ctx = &cap;
	router_handle(&bot, &in);
	assert_true(spin_until(released));
	assert_int_equal(cap.releases, 1);
}

static void
type(const char *line)
{
	type_as("alice", line);
}

/* All replies joined, for substring checks. */
static const char *
said(void)
{
	static char all[16384];
	int i;

	all[0] = '\0';
	for (i = 0; i < cap.n; i++) {
		strncat(all, cap.text[i], sizeof(all) - strlen(all) - 2);
		strcat(all, "\n");
	}
	return all;
}

static void
assert_said(const char *want)
{
	if (strstr(said(), want) == NULL)
		fail_msg("wanted \"%s\" in:\n%s", want, said());
}

static long long
dbsize(void)
{
	redisReply *r = redis_fixture_command(&rf, "DBSIZE");
	long long n;

	assert_non_null(r);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

/* After the configuration is filled in: the store on the private Redis,
 * the DM-capturing adapter.  0, or -1 when Redis cannot be reached. */
static int
fixture_connect(void)
{
	char err[128], url[200];

	bot.rates = rate_table_new(1000);
	snprintf(url, sizeof url, "unix://%s", rf.sock);
	bot.store = store_new(&bot.loop, url, "t:", err, sizeof err);
	if (bot.store == NULL)
		return -1;
	store_start(bot.store);
	if (!spin_until(connected))
		return -1;
	dm_adapter.ops = &dm_ops;
	dm_adapter.bot = &bot;
	bot.adapters[0] = &dm_adapter;
	bot.nadapters = 1;
	return 0;
}

static int fixture_stopped;

static void
fixture_store_stopped(void *priv)
{
	(void)priv;
	fixture_stopped = 1;
}

static int
fixture_is_stopped(void)
{
	return fixture_stopped;
}

static int
fixture_teardown(void)
{
	capture_reset();
	store_stop(bot.store, fixture_store_stopped, NULL);
	spin_until(fixture_is_stopped);
	store_free(bot.store);
	rate_table_free(bot.rates);
	uv_run(&bot.loop, UV_RUN_NOWAIT);
	uv_loop_close(&bot.loop);
	redis_fixture_cleanup(&rf);
	return 0;
}

static int
fixture_flush(void)
{
	redisReply *r = redis_fixture_command(&rf, "FLUSHALL");

	if (r != NULL)
		freeReplyObject(r);
	return r == NULL ? -1 : 0;
}

#endif
