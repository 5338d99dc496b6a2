/*
 * Configuration: one JSON file (comments allowed) read into plain structs,
 * then environment overrides and *_FILE secrets applied on top, then
 * validated as a whole so that every problem is reported with its JSON
 * path at once (SPEC "Configuration").  Nothing else in pmbot reads the
 * file or the environment.
 *
 * Ownership: config_load() fills a struct config that config_free()
 * releases; every string in it is owned by the struct.
 */
#ifndef PMBOT_CONFIG_H
#define PMBOT_CONFIG_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
};

/* A JSON object of strings whose member names are not fixed (Jira field
 * ids): names[i] maps to values[i], in the file's order. */
struct strmap {
	char **names;
	char **values;
	unsigned char *json; /* values[i] is JSON text (an object, array,
			      * number or boolean), not a plain string */
	size_t n;
};

/* A reminder attached to a meeting: "offset" from the start (or from the
 * end when "after_end"), optionally pinned to a wall-clock time on the
 * resulting day ("at": "16:00"), with the text to post. */
struct meeting_reminder {
	char *id;        /* e.g. "prep", "start", "after" */
	long offset_min; /* minutes relative to start (negative = before) */
	int after_end;   /* offset counts from the end instead */
	int at_hour;     /* -1 when unset */
	int at_min;
	char *text; /* may carry {placeholders} */
};

struct meeting {
	char *id;       /* "pm-weekly-sync" */
	char *title;    /* "PM Weekly Sync" */
	char *channel;  /* channel key or name, e.g. "pm" */
	char *timezone; /* IANA */
	char *dtstart;  /* local "YYYY-MM-DDTHH:MM:SS" in timezone */
	long duration_min;
	char *rrule; /* RFC 5545 RRULE body, e.g. "FREQ=WEEKLY;BYDAY=WE" */
	char *description;
	struct meeting_reminder *reminders;
	size_t nreminders;
};

struct area {
	char *name;
	char *owner;
	struct strlist keywords;
};

struct rotation_conf {
	char *name;             /* "twitter", "triage" */
	struct strlist members; /* initial order */
	int handoff_weekday;    /* 0 = Sunday .. 6 = Saturday */
	int handoff_hour;
	int handoff_min;
	char *timezone;
	char *channel;         /* where it works (twitter / triage) */
	char *meeting;         /* meeting id the duty is tied to, or NULL */
	long ack_minutes;      /* twitter: ping again after */
	long escalate_minutes; /* twitter: name the next PM after */
	/* The same two in seconds, from "ack_after"/"escalate_after" when
	 * given (durations with units: 30s, 30m, 2h, 1d), else from the
	 * minutes; what the escalation timers use. */
	long ack_s;
	long escalate_s;
};

struct checklist_item_conf {
	char *id;
	char *text;
	char *auto_on; /* "qa_ticket", "stage:enrolling", ... or NULL */
};

struct checklist_conf {
	char *name; /* "pre-launch", "post-launch", "post-experiment" */
	struct checklist_item_conf *items;
	size_t nitems;
};

struct config {
	char *path; /* the file read, or NULL */

	/* logging */
	int log_level;  /* enum log_level */
	int log_format; /* enum log_format */

	/* redis */
	char *redis_url;
	char *redis_prefix;

	/* http listener */
	char *http_listen; /* host:port */
	char *public_url;
	char *calendar_token; /* secret */

	/* defaults */
	char *timezone; /* the bot's zone when the caller's is unknown */
	char *bot_name; /* how users mention it, default "pmbot" */

	/* mattermost */
	char *mm_url;
	char *mm_token; /* secret */
	char *mm_team;
	struct strlist mm_command_tokens; /* secret */

	/* slack */
	char *slack_app_token; /* secret */
	char *slack_bot_token; /* secret */
	char *slack_api_url;
	int slack_connections;
	char *slack_signing_secret; /* secret; enables HTTP mode */

	/* jira */
	char *jira_url;
	char *jira_user;
	char *jira_token; /* secret */
	char *jira_project;
	char *jira_issue_type;
	struct strlist jira_labels;
	struct strlist jira_components;
	/* Cloud: an accountId; Data Center: a user name (the one shape each
	 * accepts, reference/jira.md §1.2), or NULL for the default. */
	char *jira_assignee;
	struct strmap jira_fields; /* extra fields: id -> string value */
	char *experimenter_url;    /* pattern with {slug} */

	/* channels */
	char *ch_ask;
	struct strlist ch_pm;
	char *ch_twitter;
	char *ch_triage;
	char *ch_announce;

	/* roles */
	struct strlist admins;
	struct strlist pms;
	struct strlist marketing;
	char *pm_group; /* the PM team's mention group, e.g. "pm-team" */

	struct area *areas;
	size_t nareas;
	struct meeting *meetings;
	size_t nmeetings;
	struct rotation_conf *rotations;
	size_t nrotations;
	struct checklist_conf *checklists;
	size_t nchecklists;

	/* behaviour */
	long reminder_horizon_min; /* default 24 h */
	int rate_commands;         /* per user per minute */
	char *guide_path;          /* the guide text file */
};

/* A list of problems, each "$.json.path: reason". */
struct config_problems {
	char **v;
	size_t n;
};

/*
 * Loads path (or, when NULL, $PMBOT_CONFIG, then config/pmbot.json, then
 * /etc/pmbot/pmbot.json; no file at all is fine: defaults apply), applies
 * the environment (getenv), and validates.  Returns 0 when valid, -1 when
 * there are problems (listed in *probs, which the caller frees with
 * config_problems_free).  On success every secret has been registered
 * with log_add_secret().
 */
int config_load(
    struct config *cfg, const char *path, struct config_problems *probs);
/* The same from a string, without reading any file or the environment
 * (tests, fuzzing).  name is used in messages. */
int config_load_string(
    struct config *cfg, const char *json, struct config_problems *probs);
void config_free(struct config *cfg);
void config_problems_free(struct config_problems *probs);

/* Helpers used by the rest of the bot. */
int config_is_admin(const struct config *cfg, const char *user);
int config_is_pm(const struct config *cfg, const char *user);
int config_is_marketing(const struct config *cfg, const char *user);
int strlist_has(const struct strlist *l, const char *s);
/* Resolves a channel key ("ask", "twitter", ...) to its configured name;
 * any other string is returned as is. */
const char *config_channel(const struct config *cfg, const char *key);
/* Whether the bot listens in the channel of this name. */
int config_listens_in(const struct config *cfg, const char *channel);
const struct meeting *config_meeting(const struct config *cfg, const char *id);
const struct rotation_conf *config_rotation(
    const struct config *cfg, const char *name);
const struct checklist_conf *config_checklist(
    const struct config *cfg, const char *name);

#endif
