/*
 * The Jira REST client /qa uses: create an issue, read one, search by
 * label, attach a remote link, and check the configuration with
 * serverInfo and myself.  It speaks JSON over the core's HTTP client, so
 * nothing here blocks and handlers never see a socket: each call takes a
 * callback that runs once, from the loop, with a struct jira_result.
 *
 * Cloud or Data Center follows SPEC's variables: a configured jira.user
 * means Jira Cloud (basic auth with e-mail and API token, REST v3: issues
 * created with an Atlassian Document Format description, search on
 * /rest/api/3/search/jql); no user means Data Center (the token is a
 * personal access token sent as Bearer, REST v2: a wiki-markup
 * description, search on /rest/api/2/search).  See jira_new() for why,
 * and ../shared/reference/jira.md §1.
 *
 * The pure builders (JQL quoting, ADF, request bodies, error wording) are
 * exported for the tests and the fuzzer.
 */
#ifndef PMBOT_JIRA_H
#define PMBOT_JIRA_H

#include <stddef.h>
#include <uv.h>

#include "config.h"

struct jira;
struct http_client;
struct cJSON;

/* What a call produced.  Strings belong to the client and live until the
 * callback returns. */
struct jira_result {
	int ok;        /* the call did what was asked */
	long status;   /* HTTP status, 0 when there was no answer */
	int transport; /* no answer at all (timeout, refused): may have acted */
	int attempts;  /* tries the HTTP client made (429/503 retried) */
	const char *message; /* when !ok: what went wrong, in plain words */
	const char *key;     /* issue key: created, found or read; or NULL */
	const char *summary;
	const char *status_name;     /* "In Progress" */
	const char *status_category; /* "new", "indeterminate", "done" */
	const char *assignee;        /* display name, NULL when unassigned */
	const char *browse_url;      /* <jira>/browse/<key> */
	int found;                   /* search: a hit */
};

typedef void jira_cb(const struct jira_result *res, void *priv);

/* What goes into a QA ticket. */
struct jira_issue {
	const char *slug;
	const char *title;
	const char *owner; /* chat user name, shown in the description */
	const char *brief_url;
	const char *experimenter_url; /* or NULL */
	const char *requested_by;
};

/* A client over hc for cfg's Jira (cfg must outlive it); NULL when no
 * jira.url is configured. */
struct jira *jira_new(
    uv_loop_t *loop, struct http_client *hc, const struct config *cfg);
/* Cancels calls in flight (their callbacks do not run) and frees; call
 * it before http_client_free (bot teardown: jira_free(bot->jira)). */
void jira_free(struct jira *j);
/* The bot's client, created on first use from the opaque request->bot;
 * NULL when Jira is not configured (the caller names PMBOT_JIRA_URL). */
struct jira *jira_for_bot(void *bot);
/* 2 or 3: the REST version used (default: 3 on Cloud, 2 on Data
 * Center); an override for tests. */
void jira_set_api_version(struct jira *j, int version);
int jira_api_version(const struct jira *j);
int jira_cloud(const struct jira *j);
/* The loop the client runs on (for a handler's own timers). */
uv_loop_t *jira_loop(const struct jira *j);

/* serverInfo, then myself.  Runs once; later calls get the remembered
 * outcome (a failure is checked again after LIMIT_JIRA_RECHECK_MS). */
void jira_check(struct jira *j, jira_cb *cb, void *priv);
/* The first issue of the project carrying label, oldest first. */
void jira_search_label(
    struct jira *j, const char *label, jira_cb *cb, void *priv);
void jira_create_issue(
    struct jira *j, const struct jira_issue *in, jira_cb *cb, void *priv);
void jira_get_issue(struct jira *j, const char *key, jira_cb *cb, void *priv);
/* Upserts the link from the issue to the brief; the globalId is derived
 * from the slug so repeating it never adds a second link. */
void jira_link_brief(struct jira *j, const char *key,
    const struct jira_issue *in, jira_cb *cb, void *priv);

/* --- pure helpers ------------------------------------------------------ */

/* s as a JQL string literal, quotes included, escaped the way Jira's own
 * encoder does; the caller frees it. */
char *jira_jql_quote(const char *s);
/* Reads a JQL string literal back (the inverse of jira_jql_quote);
 * NULL when it is not one.  For the tests and the fuzzer. */
char *jira_jql_unquote(const char *lit);
/* `project = "P" AND labels = "L" ORDER BY created ASC`; caller frees. */
char *jira_label_jql(const char *project, const char *label);
/* An ADF document from text with [label](url) links; blank lines split
 * paragraphs.  The caller deletes it with cJSON_Delete. */
struct cJSON *jira_adf_from_text(const char *text);
/* The create body for REST v2 (wiki markup) or v3 (ADF), with
 * jira.assignee shaped for Cloud or Data Center by cfg's jira.user and
 * the jira.fields; caller frees. */
char *jira_create_body(
    const struct config *cfg, const struct jira_issue *in, int version);
/* The search body for Cloud (/search/jql) or Data Center (/search). */
char *jira_search_body(const char *jql, int cloud);
/* The remote-link body; caller frees. */
char *jira_remotelink_body(const struct jira_issue *in);
/* Jira's answer in plain words for a chat user ("Jira rejected field
 * ..."); the caller frees it.  content_type may be NULL. */
char *jira_explain(long status, const char *content_type, const char *body);

#endif
