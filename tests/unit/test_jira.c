/*
 * The Jira client's pure parts: JQL quoting as Jira's own encoder does
 * it (quotes, backslashes, control characters), the ADF description
 * checked against the rules the reference lists for Atlassian's schema,
 * the v2 and v3 create bodies, search and remote-link bodies, and the
 * plain words a user sees for Jira's errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jira.h"

static void
quote_is(const char *in, const char *want)
{
	char *q = jira_jql_quote(in), *back;

	assert_string_equal(q, want);
	back = jira_jql_unquote(q);
	assert_non_null(back);
	free(q);
	free(back);
}

static void
test_jql_quote_escapes(void **state)
{
	(void)state;
	quote_is("exp-checkout", "\"exp-checkout\"");
	quote_is("", "\"\"");
	quote_is("say \"hi\"", "\"say \\\"hi\\\"\"");
	quote_is("it's", "\"it\\'s\"");
	quote_is("a\\b", "\"a\\\\b\"");
	quote_is("\\\"", "\"\\\\\\\"\"");
	quote_is("a\tb\nc\rd", "\"a\\tb\\nc\\rd\"");
	quote_is(
	    "\x01\x08\x0b\x0c\x1f", "\"\\u0001\\u0008\\u000b\\u000c\\u001f\"");
	quote_is("del\x7f", "\"del\\u007f\"");
	/* C1 controls and the noncharacters Jira treats as control. */
	quote_is("\xc2\x85", "\"\\u0085\"");
	quote_is("\xef\xb7\x90", "\"\\ufdd0\"");
	quote_is("\xef\xbf\xbe", "\"\\ufffe\"");
	/* Ordinary non-ASCII stays as it is. */
	quote_is("caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"");
	/* Reserved words are harmless once quoted. */
	quote_is("AND", "\"AND\"");
	quote_is("x\" OR project = \"Y", "\"x\\\" OR project = \\\"Y\"");
}

static void
test_jql_invalid_utf8_is_replaced(void **state)
{
	char *q = jira_jql_quote("a\xff"
				 "b\xc3");

	(void)state;
	assert_string_equal(q, "\"a\xef\xbf\xbd"
			       "b\xef\xbf\xbd\"");
	free(q);
}

static void
test_jql_round_trip(void **state)
{
	const char *samples[] = {"plain", "\"\"\"", "\\\\", "'\"\\\t\n\r",
	    "\x01\x02\x7f", "\xc2\x80\xc2\x9f", "\xf0\x9f\x98\x80 emoji",
	    "labels = \"x\" OR 1=1"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char *q = jira_jql_quote(samples[i]);
		char *back = jira_jql_unquote(q);

		assert_non_null(back);
		assert_string_equal(back, samples[i]);
		free(q);
		free(back);
	}
}

static void
test_jql_unquote_rejects(void **state)
{
	const char *bad[] = {"plain", "\"open", "\"a\"b\"", "\"\\x\"",
	    "\"\\u12\"", "\"\\u12zz\"", "\"\\\"", "\"", "\"\\u0000\""};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *r = jira_jql_unquote(bad[i]);

		if (r != NULL)
			fail_msg("accepted %s as %s", bad[i], r);
	}
	{
		char *r = jira_jql_unquote("\"a\\ b\\u00e9\"");

		assert_string_equal(r, "a b\xc3\xa9");
		free(r);
	}
}

static void
test_label_jql(void **state)
{
	char *q = jira_label_jql("QA", "exp-checkout-cta-color");

	(void)state;
	assert_string_equal(q,
	    "project = \"QA\" AND labels = "
	    "\"exp-checkout-cta-color\" ORDER BY created ASC");
	free(q);
}

/* --- ADF ------------------------------------------------------------------ */

static int adf_inline_ok(const cJSON *n);

/* The reference's rules (§1.4): doc root with version 1 and an array of
 * block nodes; text only inside blocks; no empty text; a link is a mark
 * whose attrs hold href (and nothing unknown). */
static int
adf_valid(const cJSON *doc)
{
	const cJSON *content, *b, *t, *k;

	if (!cJSON_IsObject(doc))
		return 0;
	t = cJSON_GetObjectItem(doc, "type");
	if (!cJSON_IsString(t) || strcmp(t->valuestring, "doc") != 0)
		return 0;
	k = cJSON_GetObjectItem(doc, "version");
	if (!cJSON_IsNumber(k) || k->valueint != 1)
		return 0;
	content = cJSON_GetObjectItem(doc, "content");
	if (!cJSON_IsArray(content))
		return 0;
	cJSON_ArrayForEach (b, content) {
		const cJSON *bt = cJSON_GetObjectItem(b, "type"), *in, *c;

		if (!cJSON_IsString(bt) ||
		    strcmp(bt->valuestring, "paragraph") != 0)
			return 0;
		in = cJSON_GetObjectItem(b, "content");
		if (in == NULL)
			continue;
		if (!cJSON_IsArray(in))
			return 0;
		cJSON_ArrayForEach (c, in) {
			if (!adf_inline_ok(c))
				return 0;
		}
	}
	return 1;
}

static int
adf_inline_ok(const cJSON *n)
{
	const cJSON *t = cJSON_GetObjectItem(n, "type"), *tx, *marks, *m;

	if (!cJSON_IsString(t))
		return 0;
	if (strcmp(t->valuestring, "hardBreak") == 0)
		return 1;
	if (strcmp(t->valuestring, "text") != 0)
		return 0;
	tx = cJSON_GetObjectItem(n, "text");
	if (!cJSON_IsString(tx) || tx->valuestring[0] == '\0')
		return 0;
	marks = cJSON_GetObjectItem(n, "marks");
	if (marks == NULL)
		return 1;
	cJSON_ArrayForEach (m, marks) {
		const cJSON *mt = cJSON_GetObjectItem(m, "type");
		const cJSON *attrs = cJSON_GetObjectItem(m, "attrs"), *a;

		if (!cJSON_IsString(mt) || strcmp(mt->valuestring, "link"))
			return 0;
		if (!cJSON_IsString(cJSON_GetObjectItem(attrs, "href")))
			return 0;
		cJSON_ArrayForEach (a, attrs) {
			if (strcmp(a->string, "href") != 0 &&
			    strcmp(a->string, "title") != 0)
				return 0;
		}
	}
	return 1;
}

static void
test_adf_rules_hold(void **state)
{
	const char *texts[] = {"", "one line", "a\n\nb", "\n\n\nonly\n\n",
	    "line one\nline two",
	    "Brief: [the brief](https://docs.example.com/b)\nOwner: @a",
	    "[](https://x) and [label]() and [open( and ]( and [x](y",
	    "trailing [link](https://x.example.com)"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		cJSON *doc = jira_adf_from_text(texts[i]);

		if (!adf_valid(doc)) {
			char *s = cJSON_Print(doc);

			fail_msg("invalid ADF for \"%s\":\n%s", texts[i], s);
		}
		cJSON_Delete(doc);
	}
}

static void
test_adf_link_is_a_mark(void **state)
{
	cJSON *doc = jira_adf_from_text("Brief: [experiment brief](https://"
					"wiki.example.com/b)\n\nSecond");
	const cJSON *paras = cJSON_GetObjectItem(doc, "content");
	const cJSON *p0 = cJSON_GetArrayItem(paras, 0);
	const cJSON *c = cJSON_GetObjectItem(p0, "content");
	const cJSON *link = cJSON_GetArrayItem(c, 1);
	const cJSON *mark =
	    cJSON_GetArrayItem(cJSON_GetObjectItem(link, "marks"), 0);

	(void)state;
	assert_int_equal(cJSON_GetArraySize(paras), 2);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(c, 0), "text")->valuestring,
	    "Brief: ");
	assert_string_equal(
	    cJSON_GetObjectItem(link, "text")->valuestring, "experiment brief");
	assert_string_equal(
	    cJSON_GetObjectItem(mark, "type")->valuestring, "link");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(mark, "attrs"), "href")
		->valuestring,
	    "https://wiki.example.com/b");
	cJSON_Delete(doc);
}

/* --- request bodies ------------------------------------------------------- */

static char *labels[] = {"nimbus", "qa-request"};
static char *components[] = {"Experimenter"};

static void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->jira_url = "https://jira.example.com";
	cfg->jira_project = "QA";
	cfg->jira_issue_type = "Nimbus/Remote delivery";
	cfg->jira_labels.v = labels;
	cfg->jira_labels.n = 2;
	cfg->jira_components.v = components;
	cfg->jira_components.n = 1;
}

static const struct jira_issue issue = {
    .slug = "exp-checkout-cta-color",
    .title = "Checkout \"CTA\" colour",
    .owner = "alice",
    .brief_url = "https://wiki.example.com/experiments/exp-checkout",
    .experimenter_url = "https://exp.example.com/nimbus/exp-checkout",
    .requested_by = "bob",
};

static const char *
str_at(const cJSON *root, const char *a, const char *b)
{
	const cJSON *o = cJSON_GetObjectItem(root, a);

	if (b != NULL)
		o = cJSON_GetObjectItem(o, b);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static void
test_create_body_v2(void **state)
{
	struct config cfg;
	char *body;
	cJSON *root, *f, *l;

	(void)state;
	config_init(&cfg);
	body = jira_create_body(&cfg, &issue, 2);
	root = cJSON_Parse(body);
	assert_non_null(root);
	f = cJSON_GetObjectItem(root, "fields");
	assert_string_equal(str_at(f, "project", "key"), "QA");
	assert_string_equal(
	    str_at(f, "issuetype", "name"), "Nimbus/Remote delivery");
	assert_string_equal(str_at(f, "summary", NULL),
	    "QA: exp-checkout-cta-color (Checkout \"CTA\" colour)");
	assert_true(cJSON_IsString(cJSON_GetObjectItem(f, "description")));
	assert_non_null(strstr(str_at(f, "description", NULL),
	    "[experiment brief|https://wiki.example.com/experiments/"
	    "exp-checkout]"));
	assert_non_null(strstr(str_at(f, "description", NULL),
	    "https://exp.example.com/nimbus/exp-checkout"));
	assert_non_null(strstr(str_at(f, "description", NULL), "@alice"));
	l = cJSON_GetObjectItem(f, "labels");
	assert_int_equal(cJSON_GetArraySize(l), 3);
	assert_string_equal(cJSON_GetArrayItem(l, 0)->valuestring, "nimbus");
	assert_string_equal(
	    cJSON_GetArrayItem(l, 2)->valuestring, "exp-checkout-cta-color");
	assert_string_equal(
	    str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(f, "components"), 0),
		"name", NULL),
	    "Experimenter");
	/* Neither name nor accountId can be derived from a chat name. */
	assert_null(cJSON_GetObjectItem(f, "assignee"));
	assert_null(cJSON_GetObjectItem(f, "reporter"));
	cJSON_Delete(root);
	free(body);
}

static void
test_create_body_v3_has_adf(void **state)
{
	struct config cfg;
	char *body;
	cJSON *root, *d;

	(void)state;
	config_init(&cfg);
	cfg.jira_issue_type = "10001";
	body = jira_create_body(&cfg, &issue, 3);
	root = cJSON_Parse(body);
	d = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(root, "fields"), "description");
	assert_true(adf_valid(d));
	assert_non_null(strstr(body, "\"href\":\"https://wiki.example.com/"
				     "experiments/exp-checkout\""));
	/* A numeric issue type is an id, as on localised installs. */
	assert_string_equal(
	    str_at(cJSON_GetObjectItem(root, "fields"), "issuetype", "id"),
	    "10001");
	cJSON_Delete(root);
	free(body);
}

/* jira.assignee goes out in the one shape each Jira accepts (Cloud an
 * accountId, Data Center a name, never both) and jira.fields as strings
 * beside what pmbot fills. */
static void
test_create_body_assignee_and_fields(void **state)
{
	static char *names[] = {
	    "customfield_10042", "duedate", "customfield_7", "customfield_8"};
	static char *values[] = {"exp-checkout-cta-color", "2026-12-01",
	    "{\"value\":\"High\"}", "[{\"name\":\"web\"}]"};
	static unsigned char json[] = {0, 0, 1, 1};
	struct config cfg;
	char *body;
	cJSON *root, *f;

	(void)state;
	config_init(&cfg);
	cfg.jira_user = "pmbot@example.com";
	cfg.jira_assignee = "5b10a2844c20165700ede21g";
	cfg.jira_fields.names = names;
	cfg.jira_fields.values = values;
	cfg.jira_fields.json = json;
	cfg.jira_fields.n = 4;
	body = jira_create_body(&cfg, &issue, 3);
	root = cJSON_Parse(body);
	f = cJSON_GetObjectItem(root, "fields");
	assert_string_equal(
	    str_at(f, "assignee", "accountId"), "5b10a2844c20165700ede21g");
	assert_null(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(f, "assignee"), "name"));
	assert_string_equal(
	    str_at(f, "customfield_10042", NULL), "exp-checkout-cta-color");
	assert_string_equal(str_at(f, "duedate", NULL), "2026-12-01");
	/* A select field's object and a multi-select's array go as JSON. */
	assert_string_equal(str_at(f, "customfield_7", "value"), "High");
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(f, "customfield_8")));
	assert_true(adf_valid(cJSON_GetObjectItem(f, "description")));
	cJSON_Delete(root);
	free(body);

	cfg.jira_user = NULL;
	cfg.jira_assignee = "jsmith";
	body = jira_create_body(&cfg, &issue, 2);
	root = cJSON_Parse(body);
	f = cJSON_GetObjectItem(root, "fields");
	assert_string_equal(str_at(f, "assignee", "name"), "jsmith");
	assert_null(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(f, "assignee"), "accountId"));
	assert_string_equal(str_at(f, "duedate", NULL), "2026-12-01");
	cJSON_Delete(root);
	free(body);
}

static void
test_summary_is_cut_to_jira_limit(void **state)
{
	struct config cfg;
	struct jira_issue in = issue;
	char title[600], *body;
	cJSON *root;
	const char *s;
	size_t i;

	(void)state;
	config_init(&cfg);
	for (i = 0; i + 2 < sizeof title; i += 2) {
		title[i] = '\xc3';
		title[i + 1] = '\xa9';
	}
	title[i] = '\0';
	in.title = title;
	body = jira_create_body(&cfg, &in, 2);
	root = cJSON_Parse(body);
	s = str_at(cJSON_GetObjectItem(root, "fields"), "summary", NULL);
	assert_true(strlen(s) <= 255);
	assert_non_null(strstr(s, "..."));
	cJSON_Delete(root);
	free(body);
}

static void
test_search_bodies(void **state)
{
	char *cloud = jira_search_body("project = \"QA\"", 1);
	char *dc = jira_search_body("project = \"QA\"", 0);
	cJSON *c = cJSON_Parse(cloud), *d = cJSON_Parse(dc);

	(void)state;
	assert_string_equal(str_at(c, "jql", NULL), "project = \"QA\"");
	/* Cloud answers only ids unless fields are named. */
	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(c, "fields")), 4);
	assert_null(cJSON_GetObjectItem(c, "startAt"));
	assert_int_equal(cJSON_GetObjectItem(d, "startAt")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(d, "maxResults")->valueint, 1);
	cJSON_Delete(c);
	cJSON_Delete(d);
	free(cloud);
	free(dc);
}

static void
test_remotelink_is_stable(void **state)
{
	char *a = jira_remotelink_body(&issue),
	     *b = jira_remotelink_body(&issue);
	cJSON *r = cJSON_Parse(a);

	(void)state;
	assert_string_equal(a, b);
	assert_string_equal(
	    str_at(r, "globalId", NULL), "pmbot-brief:exp-checkout-cta-color");
	assert_string_equal(str_at(r, "object", "url"), issue.brief_url);
	assert_non_null(str_at(r, "object", "title"));
	cJSON_Delete(r);
	free(a);
	free(b);
}

/* --- errors in words ------------------------------------------------------ */

static void
test_explain_field_errors(void **state)
{
	char *s = jira_explain(400, "application/json;charset=UTF-8",
	    "{\"errorMessages\":[],\"errors\":{\"customfield_10042\":"
	    "\"Field 'customfield_10042' cannot be set. It is not on the "
	    "appropriate screen, or unknown.\",\"duedate\":\"Due date is "
	    "required.\"}}");

	(void)state;
	assert_non_null(strstr(s, "- customfield_10042: Field"));
	assert_non_null(strstr(s, "not on the project's create screen"));
	assert_non_null(strstr(s, "- duedate: Due date is required."));
	assert_non_null(strstr(s, "requires a field pmbot does not fill"));
	free(s);
}

static void
test_explain_plain_text_401(void **state)
{
	char *s = jira_explain(
	    401, "text/plain", "Client must be authenticated to access this");

	(void)state;
	assert_non_null(strstr(s, "credentials"));
	assert_non_null(strstr(s, "PMBOT_JIRA_TOKEN"));
	/* The body was not JSON: nothing of it is parsed or shown. */
	assert_null(strstr(s, "Client must"));
	free(s);
	s = jira_explain(503, NULL, "");
	assert_non_null(strstr(s, "busy"));
	free(s);
	s = jira_explain(404, "application/json",
	    "{\"errorMessages\":[\"Issue does not exist or you do not have "
	    "permission to see it.\"],\"errors\":{}}");
	assert_non_null(strstr(s, "Issue does not exist"));
	free(s);
}

static void
test_no_client_without_url(void **state)
{
	struct config cfg;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	assert_null(jira_new(NULL, NULL, &cfg));
	cfg.jira_url = "";
	assert_null(jira_new(NULL, NULL, &cfg));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jql_quote_escapes),
	    cmocka_unit_test(test_jql_invalid_utf8_is_replaced),
	    cmocka_unit_test(test_jql_round_trip),
	    cmocka_unit_test(test_jql_unquote_rejects),
	    cmocka_unit_test(test_label_jql),
	    cmocka_unit_test(test_adf_rules_hold),
	    cmocka_unit_test(test_adf_link_is_a_mark),
	    cmocka_unit_test(test_create_body_v2),
	    cmocka_unit_test(test_create_body_v3_has_adf),
	    cmocka_unit_test(test_create_body_assignee_and_fields),
	    cmocka_unit_test(test_summary_is_cut_to_jira_limit),
	    cmocka_unit_test(test_search_bodies),
	    cmocka_unit_test(test_remotelink_is_stable),
	    cmocka_unit_test(test_explain_field_errors),
	    cmocka_unit_test(test_explain_plain_text_401),
	    cmocka_unit_test(test_no_client_without_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
