/*
 * Outgoing HTTP: JSON requests over curl's multi-socket interface driven
 * by the bot's libuv loop (uv_poll per socket, one uv_timer), so no call
 * ever blocks.  The client owns retries (backoff with jitter; Retry-After
 * honoured on 429 and 503), timeouts and a cap on concurrent requests to
 * one host; queued requests wait their turn.  Chat adapters and Jira use
 * it; handlers never do.
 */
#ifndef PMBOT_HTTP_CLIENT_H
#define PMBOT_HTTP_CLIENT_H

#include <stddef.h>
#include <uv.h>

struct http_client;

struct http_response {
	long status;      /* 0 when no HTTP answer (see error) */
	const char *body; /* NUL-terminated, "" when none */
	size_t len;
	const char *error;   /* NULL, or why there is no answer */
	long retry_after_ms; /* from Retry-After / X-Ratelimit-Reset, or -1 */
	int attempts;        /* how many tries it took */
	/* Response headers, lower-cased names: "name: value" each. */
	const char *const *headers;
	size_t nheaders;
};

/* Called exactly once per request, from the loop. */
typedef void http_done_cb(const struct http_response *res, void *priv);

struct http_request {
	const char *method; /* "GET", "POST", "PUT", "DELETE" */
	const char *url;
	const char *body; /* copied; NULL for none */
	size_t body_len;
	const char *content_type;   /* default "application/json" with a body */
	const char *const *headers; /* extra "Name: value" lines */
	size_t nheaders;
	long timeout_ms; /* 0: LIMIT_HTTP_TIMEOUT_MS */
	int max_retries; /* -1: LIMIT_HTTP_RETRIES; 0: no retry */
	/* Retry on 5xx and transport errors only when the request is safe to
	 * repeat (GET, or a POST made idempotent by the caller). */
	int idempotent;
};

struct http_client *http_client_new(uv_loop_t *loop);
/* Returns a request id > 0, or -1 (shutting down). The request struct and
 * its strings are copied. */
long http_client_send(struct http_client *hc, const struct http_request *req,
    http_done_cb *cb, void *priv);
/* Cancels a request; its callback will not run. */
void http_client_cancel(struct http_client *hc, long id);
/* Aborts everything in flight (callbacks run with error "shutting down"),
 * closes every handle; done runs from the loop when all are closed. */
void http_client_stop(struct http_client *hc, void (*done)(void *), void *priv);
void http_client_free(struct http_client *hc);
/* Requests in flight or queued. */
size_t http_client_pending(const struct http_client *hc);
/* Looks up a response header (name lower-case); NULL when absent. */
const char *http_response_header(
    const struct http_response *res, const char *name);

#endif
