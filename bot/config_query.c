/*
 * Questions the rest of the bot asks of a loaded configuration: is this
 * user an admin, which channel does a key name, does the bot listen
 * here, which meeting has this id.  Read-only; bot/config.c fills the
 * struct these look at.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "config.h"

/* User names compare without case and without a leading '@', the way
 * both chat servers treat them. */
static int
user_in(const struct strlist *l, const char *user)
{
	size_t i;

	if (user == NULL)
		return 0;
	if (user[0] == '@')
		user++;
	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], user) == 0)
			return 1;
	return 0;
}

int
config_is_admin(const struct config *cfg, const char *user)
{
	return user_in(&cfg->admins, user);
}

int
config_is_pm(const struct config *cfg, const char *user)
{
	return user_in(&cfg->pms, user);
}

int
config_is_marketing(const struct config *cfg, const char *user)
{
	return user_in(&cfg->marketing, user);
}

int
strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

const char *
config_channel(const struct config *cfg, const char *key)
{
	const char *name = NULL;

	if (key == NULL)
		return NULL;
	if (strcmp(key, "ask") == 0)
		name = cfg->ch_ask;
	else if (strcmp(key, "pm") == 0)
		name = cfg->ch_pm.n > 0 ? cfg->ch_pm.v[0] : NULL;
	else if (strcmp(key, "twitter") == 0)
		name = cfg->ch_twitter;
	else if (strcmp(key, "triage") == 0)
		name = cfg->ch_triage;
	else if (strcmp(key, "announce") == 0)
		name = cfg->ch_announce;
	return name != NULL ? name : key;
}

static int
channel_is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

int
config_listens_in(const struct config *cfg, const char *channel)
{
	size_t i;

	if (channel == NULL)
		return 0;
	if (channel[0] == '#' || channel[0] == '~')
		channel++;
	if (channel_is(cfg->ch_ask, channel) ||
	    channel_is(cfg->ch_twitter, channel) ||
	    channel_is(cfg->ch_triage, channel) ||
	    channel_is(cfg->ch_announce, channel))
		return 1;
	for (i = 0; i < cfg->ch_pm.n; i++)
		if (channel_is(cfg->ch_pm.v[i], channel))
			return 1;
	for (i = 0; i < cfg->nmeetings; i++)
		if (channel_is(
			config_channel(cfg, cfg->meetings[i].channel), channel))
			return 1;
	for (i = 0; i < cfg->nrotations; i++)
		if (channel_is(config_channel(cfg, cfg->rotations[i].channel),
			channel))
			return 1;
	return 0;
}

const struct meeting *
config_meeting(const struct config *cfg, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < cfg->nmeetings; i++)
		if (cfg->meetings[i].id != NULL &&
		    strcmp(cfg->meetings[i].id, id) == 0)
			return &cfg->meetings[i];
	return NULL;
}

const struct rotation_conf *
config_rotation(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < cfg->nrotations; i++)
		if (strcmp(cfg->rotations[i].name, name) == 0)
			return &cfg->rotations[i];
	return NULL;
}

const struct checklist_conf *
config_checklist(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < cfg->nchecklists; i++)
		if (strcmp(cfg->checklists[i].name, name) == 0)
			return &cfg->checklists[i];
	return NULL;
}
