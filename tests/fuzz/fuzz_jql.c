/*
 * libFuzzer target for the JQL quoting /qa puts around every value it
 * searches by.  Beyond not crashing it checks the property the search
 * relies on: a quoted value is one JQL string literal that Jira's
 * decoding rules turn back into exactly the value (for valid UTF-8), so
 * no input can end the literal early and add clauses; and whatever the
 * unquoter accepts, quoting gives back an equivalent literal.  The ADF
 * builder runs on the same bytes and must keep its rules.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jira.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Values longer than a label or a summary are not what /qa searches. */
#define FUZZ_VALUE 4096

/* No unescaped quote inside, and no raw control character Jira's lexer
 * would refuse. */
static void
check_literal(const char *q)
{
	size_t i, n = strlen(q);

	if (n < 2 || q[0] != '"' || q[n - 1] != '"')
		abort();
	for (i = 1; i < n - 1; i++) {
		if (q[i] == '\\') {
			i++;
			continue;
		}
		if (q[i] == '"' || (unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			abort();
	}
}

static void
check_adf(const char *text)
{
	cJSON *doc = jira_adf_from_text(text), *b, *c;

	if (doc == NULL)
		abort();
	cJSON_ArrayForEach (b, cJSON_GetObjectItem(doc, "content")) {
		cJSON_ArrayForEach (c, cJSON_GetObjectItem(b, "content")) {
			const cJSON *t = cJSON_GetObjectItem(c, "text");

			/* ADF: a text node is never empty. */
			if (t != NULL &&
			    (!cJSON_IsString(t) || t->valuestring[0] == '\0'))
				abort();
		}
	}
	cJSON_Delete(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *q, *back, *again;

	if (size > FUZZ_VALUE)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	q = jira_jql_quote(s);
	check_literal(q);
	back = jira_jql_unquote(q);
	if (back == NULL)
		abort();
	if (utf8_valid(s, strlen(s)) && strcmp(back, s) != 0)
		abort();
	free(back);
	free(q);

	/* The other way: anything the unquoter accepts re-quotes to a
	 * literal with the same meaning. */
	back = jira_jql_unquote(s);
	if (back != NULL) {
		q = jira_jql_quote(back);
		again = jira_jql_unquote(q);
		if (again == NULL ||
		    (utf8_valid(back, strlen(back)) && strcmp(again, back)))
			abort();
		free(again);
		free(q);
		free(back);
	}
	check_adf(s);
	free(s);
	return 0;
}
