/*
 * The duty rotation model (see duty.h for the rules).  Periods are
 * computed on the wall clock of the rotation's zone through recur.c
 * (libical), and counted in calendar days, so a week that is 167 or 169
 * hours long across a DST change is still one turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "duty.h"
#include "limits.h"
#include "log.h"
#include "recur.h"

/* --- calendar ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so dates can be counted and moved without a zone. */
static long
civil_days(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The instant of day number `day` at hh:mm on the zone's wall clock. */
static int
day_at(const char *tz, long day, int hour, int min, long long *ms)
{
	struct recur_local l;

	memset(&l, 0, sizeof(l));
	civil_from_days(day, &l.year, &l.month, &l.day);
	l.hour = hour;
	l.min = min;
	return recur_from_local(tz, &l, ms);
}

/* The handoff at or before t, as its local day number and instant. */
static int
period_start(const struct duty_rot *r, long long t, long *day, long long *at)
{
	struct recur_local l;
	long d;
	int back;

	if (recur_to_local(r->tz, t, &l, NULL, 0) < 0)
		return -1;
	back = (l.wday - r->weekday + 7) % 7;
	d = civil_days(l.year, l.month, l.day) - back;
	if (day_at(r->tz, d, r->hour, r->min, at) < 0)
		return -1;
	if (*at > t) {
		d -= 7;
		if (day_at(r->tz, d, r->hour, r->min, at) < 0)
			return -1;
	}
	*day = d;
	return 0;
}

int
duty_period(
    const struct duty_rot *r, long long t, long long *begin, long long *end)
{
	long day;

	if (period_start(r, t, &day, begin) < 0)
		return -1;
	return day_at(r->tz, day + 7, r->hour, r->min, end);
}

long long
duty_headsup_at(const struct duty_rot *r, long long at_ms)
{
	struct recur_local l;
	long long ms;
	long d;
	int wd;

	if (recur_to_local(r->tz, at_ms, &l, NULL, 0) < 0)
		return -1;
	d = civil_days(l.year, l.month, l.day) - 1;
	wd = (l.wday + 6) % 7;
	while (wd == 0 || wd == 6) {
		d--;
		wd = (wd + 6) % 7;
	}
	if (day_at(r->tz, d, l.hour, l.min, &ms) < 0)
		return -1;
	return ms;
}

/* --- who is on duty ------------------------------------------------------ */

int
duty_base_index(const struct duty_rot *r, long long t)
{
	long dt, de;
	long long at;
	long k, n = (long)r->nmembers;

	if (n == 0)
		return -1;
	if (period_start(r, t, &dt, &at) < 0 ||
	    period_start(r, r->epoch_ms, &de, &at) < 0)
		return -1;
	k = (dt - de) / 7;
	/* Before a hand-over inside the same period, the turn was the
	 * previous member's. */
	if (k == 0 && t < r->epoch_ms)
		k = -1;
	return (int)((((long)r->start + k) % n + n) % n);
}

int
duty_member_index(const struct duty_rot *r, const char *user)
{
	size_t i;

	for (i = 0; user != NULL && i < r->nmembers; i++)
		if (strcmp(r->members[i], user) == 0)
			return (int)i;
	return -1;
}

static int
in_force(const struct duty_override *o, long long t)
{
	return t >= o->from_ms && t < o->to_ms;
}

static int
is_away(const struct duty_rot *r, const char *user, long long t)
{
	size_t i;

	for (i = 0; i < r->novr; i++)
		if (r->ovr[i].kind == DUTY_AWAY && in_force(&r->ovr[i], t) &&
		    strcmp(r->ovr[i].user, user) == 0)
			return 1;
	return 0;
}

const char *
duty_at(const struct duty_rot *r, long long t, enum duty_why *why)
{
	const char *cur;
	enum duty_why w = DUTY_BASE;
	int idx, k, j;
	size_t i;

	idx = duty_base_index(r, t);
	if (idx < 0)
		return NULL;
	cur = r->members[idx];
	for (i = 0; i < r->novr; i++) {
		const struct duty_override *o = &r->ovr[i];

		if (o->kind != DUTY_SWAP || !in_force(o, t))
			continue;
		if (strcmp(cur, o->user) == 0) {
			cur = o->other;
			w = DUTY_BY_SWAP;
		} else if (strcmp(cur, o->other) == 0) {
			cur = o->user;
			w = DUTY_BY_SWAP;
		}
	}
	if (is_away(r, cur, t)) {
		j = duty_member_index(r, cur);
		if (j < 0)
			j = idx;
		for (k = 1; k < (int)r->nmembers; k++) {
			const char *c = r->members[(j + k) % r->nmembers];

			if (!is_away(r, c, t)) {
				cur = c;
				w = DUTY_BY_AWAY;
				break;
			}
		}
	}
	for (i = r->novr; i-- > 0;) {
		const struct duty_override *o = &r->ovr[i];

		if (o->kind == DUTY_COVER && in_force(o, t)) {
			cur = o->user;
			w = DUTY_BY_COVER;
			break;
		}
	}
	if (why != NULL)
		*why = w;
	return cur;
}

/* The first instant after t where the answer may change: the end of the
 * period or an override's edge. */
static long long
next_edge(const struct duty_rot *r, long long t)
{
	long long b, e, best;
	size_t i;

	if (duty_period(r, t, &b, &e) < 0)
		return -1;
	best = e;
	if (r->epoch_ms > t && r->epoch_ms < best)
		best = r->epoch_ms;
	for (i = 0; i < r->novr; i++) {
		if (r->ovr[i].from_ms > t && r->ovr[i].from_ms < best)
			best = r->ovr[i].from_ms;
		if (r->ovr[i].to_ms > t && r->ovr[i].to_ms < best)
			best = r->ovr[i].to_ms;
	}
	return best;
}

/* The last instant at or before t where the answer may have changed. */
static long long
prev_edge(const struct duty_rot *r, long long t)
{
	long long b, e, best;
	size_t i;

	if (duty_period(r, t, &b, &e) < 0)
		return -1;
	best = b;
	if (r->epoch_ms <= t && r->epoch_ms > best)
		best = r->epoch_ms;
	for (i = 0; i < r->novr; i++) {
		if (r->ovr[i].from_ms <= t && r->ovr[i].from_ms > best)
			best = r->ovr[i].from_ms;
		if (r->ovr[i].to_ms <= t && r->ovr[i].to_ms > best)
			best = r->ovr[i].to_ms;
	}
	return best;
}

long long
duty_next_change(const struct duty_rot *r, long long t)
{
	return next_edge(r, t);
}

int
duty_turns(const struct duty_rot *r, long long t, struct duty_turn *out, int n)
{
	const char *cur;
	enum duty_why why;
	long long since, edge;
	int got = 0, steps;

	if (n <= 0)
		return 0;
	cur = duty_at(r, t, &why);
	if (cur == NULL)
		return 0;
	since = prev_edge(r, t);
	for (steps = 0; since > 0 && steps < LIMIT_DUTY_SCAN; steps++) {
		const char *before = duty_at(r, since - 1, NULL);
		long long p;

		if (before == NULL || strcmp(before, cur) != 0)
			break;
		p = prev_edge(r, since - 1);
		if (p < 0 || p >= since)
			break;
		since = p;
	}
	out[0].user = cur;
	out[0].why = why;
	out[0].from_ms = since;
	edge = t;
	for (steps = 0; got < n && steps < LIMIT_DUTY_SCAN; steps++) {
		const char *u;

		edge = next_edge(r, edge);
		if (edge < 0)
			break;
		u = duty_at(r, edge, &why);
		if (u == NULL)
			break;
		if (strcmp(u, out[got].user) == 0)
			continue;
		out[got].to_ms = edge;
		if (++got == n)
			break;
		out[got].user = u;
		out[got].why = why;
		out[got].from_ms = edge;
	}
	return got;
}

const char *
duty_next_after(const struct duty_rot *r, const char *user, long long t)
{
	const char *cur;
	int i;

	if (r->nmembers == 0)
		return NULL;
	i = duty_member_index(r, user);
	if (i < 0) {
		cur = duty_at(r, t, NULL);
		if (cur != NULL && strcmp(cur, user) != 0)
			return cur;
		i = duty_member_index(r, cur);
		if (i < 0)
			return NULL;
	}
	if (r->nmembers < 2)
		return NULL;
	return r->members[(size_t)(i + 1) % r->nmembers];
}

/* --- edits --------------------------------------------------------------- */

/* Keeps members[idx] (after an edit of the order) on duty from the
 * period that contains now. */
static void
anchor(struct duty_rot *r, long long now, size_t idx)
{
	long long b, e;

	if (duty_period(r, now, &b, &e) < 0)
		b = now;
	/* A hand-over earlier in this period must stay in force. */
	r->epoch_ms = r->epoch_ms > b && r->epoch_ms <= now ? r->epoch_ms : b;
	r->start = r->nmembers > 0 ? idx % r->nmembers : 0;
}

int
duty_add_member(struct duty_rot *r, const char *user, const char *after,
    long long now, char *err, size_t errlen)
{
	int cur = duty_base_index(r, now), at;
	size_t pos, i;
	char *keep;

	if (duty_member_index(r, user) >= 0) {
		snprintf(err, errlen, "@%s is already in the %s rotation", user,
		    r->name);
		return -1;
	}
	if (r->nmembers >= LIMIT_DUTY_MEMBERS) {
		snprintf(err, errlen, "the %s rotation is full (%d members)",
		    r->name, LIMIT_DUTY_MEMBERS);
		return -1;
	}
	pos = r->nmembers;
	if (after != NULL) {
		at = duty_member_index(r, after);
		if (at < 0) {
			snprintf(err, errlen,
			    "@%s is not in the %s rotation, so nobody can be "
			    "added after them",
			    after, r->name);
			return -1;
		}
		pos = (size_t)at + 1;
	}
	keep = cur >= 0 ? r->members[cur] : NULL;
	r->members = xrealloc(r->members, (r->nmembers + 1) * sizeof(char *));
	memmove(&r->members[pos + 1], &r->members[pos],
	    (r->nmembers - pos) * sizeof(char *));
	r->members[pos] = xstrdup(user);
	r->nmembers++;
	for (i = 0; keep != NULL && i < r->nmembers; i++)
		if (r->members[i] == keep)
			anchor(r, now, i);
	if (keep == NULL)
		anchor(r, now, 0);
	return 0;
}

int
duty_remove_member(struct duty_rot *r, const char *user, long long now,
    char *err, size_t errlen)
{
	int idx = duty_member_index(r, user), cur;
	size_t i;
	char *keep;

	if (idx < 0) {
		snprintf(err, errlen, "@%s is not in the %s rotation", user,
		    r->name);
		return -1;
	}
	if (r->nmembers == 1) {
		snprintf(err, errlen,
		    "@%s is the last member of the %s rotation; add someone "
		    "else first",
		    user, r->name);
		return -1;
	}
	cur = duty_base_index(r, now);
	keep = cur >= 0 && cur != idx ? r->members[cur] : NULL;
	free(r->members[idx]);
	memmove(&r->members[idx], &r->members[idx + 1],
	    (r->nmembers - (size_t)idx - 1) * sizeof(char *));
	r->nmembers--;
	if (keep == NULL) {
		/* The one on duty left: the next member takes over now. */
		r->epoch_ms = now;
		r->start = (size_t)idx % r->nmembers;
		return 0;
	}
	for (i = 0; i < r->nmembers; i++)
		if (r->members[i] == keep)
			anchor(r, now, i);
	return 0;
}

void
duty_handoff_now(struct duty_rot *r, long long now)
{
	int cur = duty_base_index(r, now);

	if (cur < 0)
		return;
	r->epoch_ms = now;
	r->start = ((size_t)cur + 1) % r->nmembers;
}

int
duty_add_override(struct duty_rot *r, enum duty_kind kind, const char *user,
    const char *other, long long from, long long to, const char *by, char *err,
    size_t errlen)
{
	struct duty_override *o;

	if (to <= from) {
		snprintf(err, errlen,
		    "the end must come after the start; nothing changed");
		return -1;
	}
	if (kind == DUTY_SWAP && (other == NULL || strcmp(user, other) == 0)) {
		snprintf(err, errlen, "a swap needs two different people");
		return -1;
	}
	if (kind != DUTY_COVER && duty_member_index(r, user) < 0) {
		snprintf(err, errlen, "@%s is not in the %s rotation", user,
		    r->name);
		return -1;
	}
	if (kind == DUTY_SWAP && duty_member_index(r, other) < 0) {
		snprintf(err, errlen, "@%s is not in the %s rotation", other,
		    r->name);
		return -1;
	}
	if (r->novr >= LIMIT_DUTY_OVERRIDES) {
		snprintf(err, errlen,
		    "the %s rotation already has %d overrides in force",
		    r->name, LIMIT_DUTY_OVERRIDES);
		return -1;
	}
	r->ovr = xrealloc(r->ovr, (r->novr + 1) * sizeof(*r->ovr));
	o = &r->ovr[r->novr++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->user = xstrdup(user);
	o->other = other != NULL ? xstrdup(other) : NULL;
	o->from_ms = from;
	o->to_ms = to;
	o->by = xstrdup(by != NULL ? by : "");
	return 0;
}

static void
override_free(struct duty_override *o)
{
	free(o->user);
	free(o->other);
	free(o->by);
}

void
duty_prune(struct duty_rot *r, long long cutoff)
{
	size_t i, j = 0;

	for (i = 0; i < r->novr; i++) {
		if (r->ovr[i].to_ms < cutoff) {
			override_free(&r->ovr[i]);
			continue;
		}
		r->ovr[j++] = r->ovr[i];
	}
	r->novr = j;
}

/* --- life and storage ---------------------------------------------------- */

static void
schedule_from_conf(struct duty_rot *r, const struct rotation_conf *rc)
{
	r->name = xstrdup(rc->name);
	r->weekday = rc->handoff_weekday;
	r->hour = rc->handoff_hour;
	r->min = rc->handoff_min;
	r->tz = xstrdup(rc->timezone != NULL ? rc->timezone : "UTC");
}

int
duty_from_conf(
    struct duty_rot *r, const struct rotation_conf *rc, long long now)
{
	long long b, e;
	size_t i;

	memset(r, 0, sizeof(*r));
	schedule_from_conf(r, rc);
	if (!recur_zone_valid(r->tz) || rc->members.n == 0) {
		duty_rot_free(r);
		return -1;
	}
	r->members = xcalloc(rc->members.n, sizeof(char *));
	for (i = 0; i < rc->members.n; i++)
		r->members[i] = xstrdup(rc->members.v[i]);
	r->nmembers = rc->members.n;
	if (duty_period(r, now, &b, &e) < 0) {
		duty_rot_free(r);
		return -1;
	}
	r->epoch_ms = b;
	r->start = 0;
	return 0;
}

void
duty_rot_free(struct duty_rot *r)
{
	size_t i;

	for (i = 0; i < r->nmembers; i++)
		free(r->members[i]);
	free(r->members);
	for (i = 0; i < r->novr; i++)
		override_free(&r->ovr[i]);
	free(r->ovr);
	free(r->name);
	free(r->tz);
	memset(r, 0, sizeof(*r));
}

static const char *const kind_names[] = {"swap", "cover", "away"};

const char *
duty_kind_name(enum duty_kind k)
{
	return kind_names[k];
}

char *
duty_encode(const struct duty_rot *r)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	char *out, *copy;
	size_t i;

	if (root == NULL)
		fatal("duty: out of memory");
	cJSON_AddNumberToObject(root, "v", DUTY_FORMAT_VERSION);
	arr = cJSON_AddArrayToObject(root, "members");
	for (i = 0; i < r->nmembers; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(r->members[i]));
	cJSON_AddNumberToObject(root, "epoch", (double)r->epoch_ms);
	cJSON_AddNumberToObject(root, "start", (double)r->start);
	arr = cJSON_AddArrayToObject(root, "overrides");
	for (i = 0; i < r->novr; i++) {
		const struct duty_override *d = &r->ovr[i];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", kind_names[d->kind]);
		cJSON_AddStringToObject(o, "user", d->user);
		if (d->other != NULL)
			cJSON_AddStringToObject(o, "other", d->other);
		cJSON_AddNumberToObject(o, "from", (double)d->from_ms);
		cJSON_AddNumberToObject(o, "to", (double)d->to_ms);
		cJSON_AddStringToObject(o, "by", d->by ? d->by : "");
		cJSON_AddItemToArray(arr, o);
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (out == NULL)
		fatal("duty: out of memory");
	/* cJSON's allocator is not ours: hand back a string free() takes. */
	copy = xstrdup(out);
	cJSON_free(out);
	return copy;
}

static const char *
json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
json_num(const cJSON *o, const char *name, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v))
		return -1;
	*out = (long long)v->valuedouble;
	return 0;
}

static int
decode_overrides(struct duty_rot *r, const cJSON *arr)
{
	const cJSON *o;

	cJSON_ArrayForEach (o, arr) {
		const char *kind = json_str(o, "kind"),
			   *user = json_str(o, "user");
		long long from, to;
		int k;

		for (k = 0; k < 3; k++)
			if (kind != NULL && strcmp(kind, kind_names[k]) == 0)
				break;
		if (k == 3 || user == NULL || json_num(o, "from", &from) < 0 ||
		    json_num(o, "to", &to) < 0)
			return -1;
		/* Stored overrides were valid when made; members may have
		 * left since, so only the shape is checked here. */
		if (to <= from)
			continue;
		r->ovr = xrealloc(r->ovr, (r->novr + 1) * sizeof(*r->ovr));
		memset(&r->ovr[r->novr], 0, sizeof(r->ovr[0]));
		r->ovr[r->novr].kind = (enum duty_kind)k;
		r->ovr[r->novr].user = xstrdup(user);
		r->ovr[r->novr].other =
		    json_str(o, "other") ? xstrdup(json_str(o, "other")) : NULL;
		r->ovr[r->novr].from_ms = from;
		r->ovr[r->novr].to_ms = to;
		r->ovr[r->novr].by = xstrdup(json_str(o, "by") ?: "");
		if (k == DUTY_SWAP && r->ovr[r->novr].other == NULL) {
			override_free(&r->ovr[r->novr]);
			continue;
		}
		r->novr++;
	}
	return 0;
}

int
duty_decode(struct duty_rot *r, const struct rotation_conf *rc,
    const char *json, char *err, size_t errlen)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *m, *arr;
	long long v = 0, start;

	memset(r, 0, sizeof(*r));
	if (root == NULL) {
		snprintf(err, errlen, "the stored rotation is not JSON");
		return -1;
	}
	if (json_num(root, "v", &v) < 0 || v != DUTY_FORMAT_VERSION) {
		snprintf(err, errlen,
		    "the stored rotation has format %lld, "
		    "not %d",
		    v, DUTY_FORMAT_VERSION);
		cJSON_Delete(root);
		return -1;
	}
	schedule_from_conf(r, rc);
	arr = cJSON_GetObjectItemCaseSensitive(root, "members");
	cJSON_ArrayForEach (m, arr) {
		if (!cJSON_IsString(m))
			continue;
		r->members =
		    xrealloc(r->members, (r->nmembers + 1) * sizeof(char *));
		r->members[r->nmembers++] = xstrdup(m->valuestring);
	}
	if (r->nmembers == 0 || json_num(root, "epoch", &r->epoch_ms) < 0 ||
	    json_num(root, "start", &start) < 0 || start < 0 ||
	    decode_overrides(
		r, cJSON_GetObjectItemCaseSensitive(root, "overrides")) < 0) {
		snprintf(err, errlen, "the stored rotation is incomplete");
		cJSON_Delete(root);
		duty_rot_free(r);
		return -1;
	}
	r->start = (size_t)start % r->nmembers;
	cJSON_Delete(root);
	return 0;
}

/* --- reading times ------------------------------------------------------- */

int
duty_parse_time(const char *tz, const char *s, int end_of_day, long long *ms)
{
	struct recur_local l;
	char tail;
	int n, y, mo, d, h = 0, mi = 0;

	memset(&l, 0, sizeof(l));
	n = sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail);
	if (n < 3 || strlen(s) < 10)
		return -1;
	if (n == 4) {
		if ((tail != 'T' && tail != ' ') ||
		    sscanf(s + 11, "%2d:%2d%c", &h, &mi, &tail) != 2 ||
		    strlen(s) != 16 || h > 23 || mi > 59 || h < 0 || mi < 0)
			return -1;
		end_of_day = 0;
	} else if (strlen(s) != 10) {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 9999)
		return -1;
	/* Reject 2027-02-30 rather than roll it into March. */
	{
		int y2, m2, d2;

		civil_from_days(civil_days(y, mo, d), &y2, &m2, &d2);
		if (y2 != y || m2 != mo || d2 != d)
			return -1;
	}
	if (end_of_day)
		return day_at(tz, civil_days(y, mo, d) + 1, 0, 0, ms);
	l.year = y;
	l.month = mo;
	l.day = d;
	l.hour = h;
	l.min = mi;
	return recur_from_local(tz, &l, ms);
}
