/*
 * What the scheduler fires on behalf of the other modules, as the people
 * on the receiving end see it: the working-day checklist nudge (one
 * direct message per person, once a day however often the job fires,
 * Monday to Friday only), the live count of unassigned customer requests
 * in a meeting reminder, and the lag gauge on /metrics.  A real
 * scheduler runs against a private redis-server with the clock pinned,
 * and the posts land in a capturing adapter.
 */
#include "redis_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "clock.h"
#include "config.h"
#include "metrics.h"
#include "router.h"
#include "scheduler.h"
#include "store.h"

#define MAX_POSTS 16

/* Monday 2027-03-08 00:00 UTC; the bot's zone is UTC. */
#define MON (1804464000000LL)
#define DAY (86400000LL)
#define HOUR (3600000LL)
#define MINUTE (60000LL)

struct capture {
	int releases;
	char *post_to[MAX_POSTS];
	char *post_text[MAX_POSTS];
	int nposts;
};

static struct redis_fixture rf = REDIS_FIXTURE_INIT;
static struct bot bot;
static struct capture cap;
static struct adapter dm_adapter;
static char *admins[] = {"alice"};
static char *pms[] = {"alice", "carol"};
static struct meeting_reminder prep = {
    "prep", 0, 0, -1, 0, "Sync now: {triage_unassigned} still unassigned."};
static struct meeting sync_meeting = {"sync", "Daily Sync", "pm-sync", "UTC",
    "2027-03-01T09:30:00", 30, "FREQ=DAILY", NULL, &prep, 1};
static int sched_stopped;

static void
capture_send(void *ctx, const struct request *req, const struct message *m,
    int ephemeral)
{
	(void)ctx;
	(void)req;
	(void)m;
	(void)ephemeral;
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

/* Runs the loop for ms milliseconds, whatever happens. */
static void
spin_for(int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		uv_run(&bot.loop, UV_RUN_NOWAIT);
		redis_fixture_sleep_ms(1);
	}
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
}

static long long
zscore(const char *key, const char *member)
{
	redisReply *r = redis_fixture_command(&rf, "ZSCORE %s %s", key, member);
	long long v;

	assert_non_null(r);
	v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
	freeReplyObject(r);
	return v;
}

static void
assert_reply_ok(redisReply *r)
{
	assert_non_null(r);
	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
}

static long long want_score;
static const char *want_member;

static int
score_is(void)
{
	return zscore("t:sched:due", want_member) == want_score;
}

static void
expect_due(const char *member, long long at)
{
	want_member = member;
	want_score = at;
	spin_until(score_is);
	assert_int_equal(zscore("t:sched:due", member), at);
}

static int want_posts;

static int
posts_arrived(void)
{
	return cap.nposts >= want_posts;
}

/* The post to `to`, or fails. */
static const char *
post_to(const char *to)
{
	int i;

	for (i = 0; i < cap.nposts; i++)
		if (strcmp(cap.post_to[i], to) == 0)
			return cap.post_text[i];
	fail_msg("nothing was posted to %s", to);
	return NULL;
}

static void
assert_has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("wanted \"%s\" in:\n%s", want, text);
}

static void
assert_lacks(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted) != NULL)
		fail_msg("did not want \"%s\" in:\n%s", unwanted, text);
}

/* Moves the job to at (another replica, a reseed with a changed
 * schedule) and wakes the scheduler with the clock just past it. */
static void
fire_again_at(const char *id, long long at)
{
	char key[64];

	snprintf(key, sizeof key, "t:sched:job:%s", id);
	clock_set_ms(at + 1000);
	assert_reply_ok(
	    redis_fixture_command(&rf, "HSET %s due %lld", key, at));
	assert_reply_ok(
	    redis_fixture_command(&rf, "ZADD t:sched:due %lld %s", at, id));
	/* The timer was armed on the old clock: wake it now. */
	scheduler_poke(&bot, 0);
}

static void
sched_done(void *priv)
{
	(void)priv;
	sched_stopped = 1;
}

static int
is_sched_stopped(void)
{
	return sched_stopped;
}

static int
group_setup(void **state)
{
	char err[128], url[200];

	(void)state;
	if (redis_fixture_start(&rf) != 0)
		return -1;
	uv_loop_init(&bot.loop);
	bot.cfg.bot_name = "pmbot";
	bot.cfg.rate_commands = 1000;
	bot.cfg.timezone = "UTC";
	bot.cfg.reminder_horizon_min = 24 * 60;
	bot.cfg.admins.v = admins;
	bot.cfg.admins.n = 1;
	bot.cfg.pms.v = pms;
	bot.cfg.pms.n = 2;
	bot.rates = rate_table_new(1000);
	bot.metrics = metrics_new();
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

static int stopped;

static void
store_stopped(void *priv)
{
	(void)priv;
	stopped = 1;
}

static int
is_stopped(void)
{
	return stopped;
}

static int
group_teardown(void **state)
{
	(void)state;
	capture_reset();
	store_stop(bot.store, store_stopped, NULL);
	spin_until(is_stopped);
	store_free(bot.store);
	rate_table_free(bot.rates);
	metrics_free(bot.metrics);
	uv_run(&bot.loop, UV_RUN_NOWAIT);
	uv_loop_close(&bot.loop);
	redis_fixture_cleanup(&rf);
	return 0;
}

static int
test_setup(void **state)
{
	redisReply *r = redis_fixture_command(&rf, "FLUSHALL");

	(void)state;
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	capture_reset();
	bot.sched = scheduler_new(&bot);
	return 0;
}

static int
test_teardown(void **state)
{
	(void)state;
	sched_stopped = 0;
	scheduler_stop(bot.sched, sched_done, NULL);
	spin_until(is_sched_stopped);
	scheduler_free(bot.sched);
	bot.sched = NULL;
	clock_set_ms(0);
	bot.cfg.meetings = NULL;
	bot.cfg.nmeetings = 0;
	return 0;
}

/* --- tests --------------------------------------------------------------- */

static void
test_nudge_once_a_working_day(void **state)
{
	const char *carol, *alice;
	struct buf m = BUF_INIT;

	(void)state;
	clock_set_ms(MON + 9 * HOUR - 2000);
	type_as("alice", "/brief add exp-a https://docs.example.com/a");
	type_as("carol", "/brief add exp-b https://docs.example.com/b");
	type_as("alice", "/checklist exp-a due 1 2027-03-05");
	type_as("alice", "/checklist exp-a assign 1 @carol");
	type_as("alice", "/checklist exp-a due 2 2027-03-08"); /* today */
	type_as("alice", "/checklist exp-a due 4 2027-03-01"); /* no one */
	type_as("carol", "/checklist exp-b due 1 2027-03-02");
	type_as("carol", "/checklist exp-b due 2 2027-03-03");
	type_as("carol", "/checklist exp-b done 2");
	capture_reset();

	/* Seeded for Monday 09:00 in the bot's zone, fired at 09:00:03. */
	scheduler_start(bot.sched);
	expect_due("c:nudge", MON + 9 * HOUR);
	clock_set_ms(MON + 9 * HOUR + 3000);
	want_posts = 2;
	assert_true(spin_until(posts_arrived));
	spin_for(200);
	assert_int_equal(cap.nposts, 2);
	carol = post_to("@carol");
	assert_has(carol, "Checklist items past due (2)");
	assert_has(carol, "exp-a #1 Brief complete: due 2027-03-05");
	assert_has(carol, "exp-b #1 Brief complete: due 2027-03-02");
	assert_lacks(carol, "#2");
	/* Unassigned: the brief's owner; due today is not past due. */
	alice = post_to("@alice");
	assert_has(alice, "Checklist item past due (1)");
	assert_has(alice, "exp-a #4");
	assert_lacks(alice, "#2");
	expect_due("c:nudge", MON + DAY + 9 * HOUR);

	/* The scheduler's lag: claimed three seconds after its due time. */
	metrics_render(bot.metrics, &m);
	assert_has(buf_str(&m), "\npmbot_scheduler_lag_seconds 3\n");
	buf_free(&m);

	/* The job fires again the same day (a second replica, a changed
	 * schedule): nobody hears twice. */
	capture_reset();
	fire_again_at("c:nudge", MON + 9 * HOUR + 30 * MINUTE);
	expect_due("c:nudge", MON + DAY + 9 * HOUR);
	spin_for(300);
	assert_int_equal(cap.nposts, 0);

	/* Tuesday: the items are still open, so they come again. */
	capture_reset();
	fire_again_at("c:nudge", MON + DAY + 9 * HOUR);
	want_posts = 2;
	assert_true(spin_until(posts_arrived));
	post_to("@carol");
	post_to("@alice");
	expect_due("c:nudge", MON + 2 * DAY + 9 * HOUR);

	/* Friday's nudge is followed by Monday's, not Saturday's. */
	capture_reset();
	fire_again_at("c:nudge", MON + 4 * DAY + 9 * HOUR);
	want_posts = 2;
	assert_true(spin_until(posts_arrived));
	expect_due("c:nudge", MON + 7 * DAY + 9 * HOUR);

	/* Ticked items are not nudged any more. */
	type_as("carol", "/checklist exp-a done 1");
	type_as("carol", "/checklist exp-b done 1");
	capture_reset();
	fire_again_at("c:nudge", MON + 7 * DAY + 9 * HOUR);
	want_posts = 1;
	assert_true(spin_until(posts_arrived));
	spin_for(200);
	assert_int_equal(cap.nposts, 1);
	assert_has(post_to("@alice"), "exp-a #4");
}

static void
test_meeting_reminder_counts_unassigned(void **state)
{
	struct buf m = BUF_INIT;

	(void)state;
	bot.cfg.meetings = &sync_meeting;
	bot.cfg.nmeetings = 1;
	clock_set_ms(MON + 9 * HOUR + 30 * MINUTE - 2000);
	type_as("alice", "/request add acme \"export to CSV\"");
	type_as("alice", "/request add globex \"dark mode\"");
	type_as("alice", "/request add initech \"SSO\"");
	type_as("alice", "/request assign 2 @carol");
	capture_reset();

	scheduler_start(bot.sched);
	expect_due("m:sync:prep", MON + 9 * HOUR + 30 * MINUTE);
	clock_set_ms(MON + 9 * HOUR + 30 * MINUTE + 2000);
	want_posts = 1;
	assert_true(spin_until(posts_arrived));
	assert_has(post_to("pm-sync"), "Sync now: 2 still unassigned.");
	metrics_render(bot.metrics, &m);
	assert_has(buf_str(&m), "\npmbot_scheduler_lag_seconds 2\n");
	buf_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_nudge_once_a_working_day, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
		test_meeting_reminder_counts_unassigned, test_setup,
		test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
