/*
 * libFuzzer target for the Redis URL parser (PMBOT_REDIS_URL and
 * redis.url come from the environment and the configuration file).
 * Beyond not crashing or leaking, it checks what store_new relies on:
 * an accepted URL names exactly one of a host (an IP or a host name) and
 * a socket path, with a port and a database in range, and its logged form masks
 * the password; a refused one says why and leaves nothing behind.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longer than any address a deployment would write. */
#define FUZZ_URL_MAX 4096

static int
is_ip(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 ||
	       inet_pton(AF_INET6, host, addr) == 1;
}

/* A host name the resolver can take: letters, digits, '-' and '.', with
 * no empty label and no label starting or ending with '-'. */
static int
is_name(const char *h)
{
	size_t n = strlen(h), i;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-' ||
	    h[n - 1] == '.' || h[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.')
			return 0;
		if (h[i] == '.' &&
		    (h[i + 1] == '.' || h[i + 1] == '-' || h[i - 1] == '-'))
			return 0;
	}
	return 1;
}

static void
check_refused(const struct store_url *u, const char *err)
{
	if (err[0] == '\0')
		abort();
	if (u->shown != NULL || u->host != NULL || u->path != NULL ||
	    u->user != NULL || u->password != NULL)
		abort();
}

/* The logged form of a TCP URL without a password parses back to the
 * same address: what the log says is what the bot connects to. */
static void
check_round_trip(const struct store_url *u)
{
	struct store_url again;
	char err[256] = "";

	if (u->host == NULL || u->password != NULL)
		return;
	if (store_url_parse(u->shown, &again, err, sizeof(err)) != 0)
		abort();
	if (again.host == NULL || strcmp(again.host, u->host) != 0 ||
	    again.port != u->port || again.db != u->db)
		abort();
	store_url_free(&again);
}

static void
check_accepted(const struct store_url *u)
{
	if (u->shown == NULL || (u->host == NULL) == (u->path == NULL))
		abort();
	if (u->db < 0 || u->db > 1000000)
		abort();
	if (u->host != NULL) {
		if ((!is_ip(u->host) && !is_name(u->host)) || u->port < 1 ||
		    u->port > 65535)
			abort();
		if (strncmp(u->shown, "redis://", 8) != 0)
			abort();
		if (u->password != NULL && strstr(u->shown, ":***@") == NULL)
			abort();
	} else if (strncmp(u->shown, "unix:", 5) != 0 || u->password != NULL) {
		abort();
	}
	if (u->user != NULL && u->password == NULL)
		abort();
	check_round_trip(u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_url u;
	char err[256] = "", *url;

	if (size > FUZZ_URL_MAX)
		return 0;
	url = xmalloc(size + 1);
	memcpy(url, data, size);
	url[size] = '\0';
	if (store_url_parse(url, &u, err, sizeof(err)) != 0)
		check_refused(&u, err);
	else
		check_accepted(&u);
	store_url_free(&u);
	free(url);
	return 0;
}
