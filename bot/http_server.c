/*
 * The HTTP listener: one lws vhost on the bot's context, a small routing
 * table, and exchanges that a route may answer now or from a later
 * callback (a slash command that waits for Redis or Jira).
 *
 * An exchange lives from the request line to the last byte of its answer.
 * The connection and the exchange point at each other through the
 * per-session data; when the client goes away while a route still holds
 * the exchange, the exchange is only marked dead and is freed when the
 * route answers it, so a route never has to know the client left.
 *
 * Bodies are collected up to LIMIT_HTTP_BODY.  A request announcing a
 * larger body is refused with 413 without storing a byte; its body is
 * read and dropped first (up to a bound) so that the client, which is
 * still sending, reads the 413 rather than a connection reset.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "buf.h"
#include "http_server.h"
#include "limits.h"
#include "log.h"

/* A body announced above this is refused at once and the connection is
 * closed: reading it all just to be polite is not worth the traffic. */
#define DRAIN_MAX (16 * LIMIT_HTTP_BODY)
/* Bytes handed to lws per writable callback. */
#define WRITE_CHUNK 16384

struct route {
	char *method;
	char *path;
	size_t plen;
	int prefix;
	http_route_cb *cb;
	void *priv;
};

enum x_state {
	X_RECEIVING, /* reading the body */
	X_ROUTED,    /* held by a route, not answered yet */
	X_WRITING,   /* answer being written */
};

struct header {
	char *name; /* lower-case */
	char *value;
};

struct pss;

struct http_exchange {
	struct http_server *srv;
	struct lws *wsi; /* NULL once the client has gone */
	struct pss *pss;
	enum x_state state;
	char method[8];
	char *path;
	char *query;
	struct buf body;
	int too_large;
	/* When the request is refused before any route sees it. */
	int refuse_status;
	const char *refuse_text;
	const struct route *route;
	struct header *hdrs; /* looked-up headers, copied */
	size_t nhdrs;
	/* The answer. */
	int status;
	char *ctype;
	char *out;
	size_t out_len, out_off;
	struct header *out_hdrs; /* added with http_exchange_add_header */
	size_t nout_hdrs;
	int headers_sent;
	int close_after;
	struct http_exchange *prev, *next;
};

struct pss {
	struct http_exchange *x;
};

struct http_server {
	struct lws_vhost *vh;
	struct lws_protocols protocols[2];
	char *iface;
	int port;
	struct route *routes;
	size_t nroutes;
	struct http_exchange *live; /* every exchange not yet freed */
};

static const struct {
	enum lws_token_indexes tok;
	const char *name;
} methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},
    {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},
    {WSI_TOKEN_DELETE_URI, "DELETE"},
    {WSI_TOKEN_PATCH_URI, "PATCH"},
    {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},
};

static void
exchange_free(struct http_exchange *x)
{
	struct http_server *srv = x->srv;
	size_t i;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else if (srv != NULL && srv->live == x)
		srv->live = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	if (x->pss != NULL)
		x->pss->x = NULL;
	for (i = 0; i < x->nhdrs; i++) {
		free(x->hdrs[i].name);
		free(x->hdrs[i].value);
	}
	free(x->hdrs);
	for (i = 0; i < x->nout_hdrs; i++) {
		free(x->out_hdrs[i].name);
		free(x->out_hdrs[i].value);
	}
	free(x->out_hdrs);
	free(x->path);
	free(x->query);
	free(x->ctype);
	free(x->out);
	buf_free(&x->body);
	free(x);
}

/* Appends s percent-encoded: everything but unreserved characters. */
static void
put_encoded(struct buf *q, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			buf_putc(q, (char)c);
		} else {
			buf_putc(q, '%');
			buf_putc(q, hex[c >> 4]);
			buf_putc(q, hex[c & 15]);
		}
	}
}

/* The query string, encoded again.  lws hands it over split at '&' with
 * each fragment already decoded, so a "%26" in a value is a bare '&' by
 * then: joined as is, "text=a%26user_name%3Dada" would become a field
 * of its own.  Each fragment's name and value are re-encoded instead, so
 * the form parser decodes every byte exactly once. */
static char *
copy_query(struct lws *wsi)
{
	struct buf q = BUF_INIT;
	char *frag, *eq;
	int i, n;

	for (i = 0;; i++) {
		n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n <= 0)
			break;
		frag = xmalloc((size_t)n + 1);
		n = lws_hdr_copy_fragment(
		    wsi, frag, n + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n >= 0) {
			if (q.len > 0)
				buf_putc(&q, '&');
			eq = memchr(frag, '=', (size_t)n);
			put_encoded(
			    &q, frag, eq ? (size_t)(eq - frag) : (size_t)n);
			if (eq != NULL) {
				buf_putc(&q, '=');
				put_encoded(
				    &q, eq + 1, (size_t)(n - (eq + 1 - frag)));
			}
		}
		free(frag);
	}
	return q.len > 0 ? buf_detach(&q) : xstrdup("");
}

/* Content-Length as a number: -1 when absent, -2 when malformed. */
static long long
content_length(struct lws *wsi)
{
	char tmp[32];
	long long v = 0;
	int n, i;

	n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	if (n <= 0)
		return -1;
	if (n >= (int)sizeof(tmp))
		return -2;
	if (lws_hdr_copy(wsi, tmp, sizeof(tmp), WSI_TOKEN_HTTP_CONTENT_LENGTH) <
	    0)
		return -2;
	for (i = 0; tmp[i] != '\0'; i++) {
		if (!isdigit((unsigned char)tmp[i]))
			return -2;
		v = v * 10 + (tmp[i] - '0');
	}
	return i > 0 ? v : -2;
}

static const struct route *
route_find(const struct http_server *srv, const char *method, const char *path,
    int *path_known)
{
	size_t i;
	const struct route *r;

	*path_known = 0;
	for (i = 0; i < srv->nroutes; i++) {
		r = &srv->routes[i];
		if (r->prefix ? strncmp(path, r->path, r->plen) != 0
			      : strcmp(path, r->path) != 0)
			continue;
		*path_known = 1;
		if (strcmp(method, r->method) == 0)
			return r;
	}
	return NULL;
}

static void
start_writing(struct http_exchange *x)
{
	x->state = X_WRITING;
	if (x->wsi != NULL)
		lws_callback_on_writable(x->wsi);
}

static void
set_answer(struct http_exchange *x, int status, const char *ctype,
    const char *body, size_t len)
{
	x->status = status;
	x->ctype = xstrdup(ctype != NULL ? ctype : "text/plain; charset=utf-8");
	x->out = xmalloc(len + 1);
	if (len > 0)
		memcpy(x->out, body, len);
	x->out[len] = '\0';
	x->out_len = len;
}

static void
refuse(struct http_exchange *x, int status, const char *text)
{
	set_answer(x, status, NULL, text, strlen(text));
	start_writing(x);
}

/* The request is complete: hand it to its route or refuse it. */
static void
dispatch(struct http_exchange *x)
{
	if (x->too_large) {
		refuse(x, 413, "request body too large\n");
		return;
	}
	if (x->refuse_status) {
		refuse(x, x->refuse_status, x->refuse_text);
		return;
	}
	x->state = X_ROUTED;
	x->route->cb(x, x->route->priv);
}

static int
on_request(struct lws *wsi, struct pss *pss, const char *uri)
{
	struct http_server *srv = lws_vhost_user(lws_get_vhost(wsi));
	struct http_exchange *x;
	const char *method = NULL;
	long long clen;
	int path_known;
	size_t i;

	if (srv == NULL)
		return -1;
	if (pss->x != NULL) /* a pipelined request while one is pending */
		return -1;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (lws_hdr_total_length(wsi, methods[i].tok) > 0) {
			method = methods[i].name;
			break;
		}
	x = xcalloc(1, sizeof(*x));
	x->srv = srv;
	x->wsi = wsi;
	x->pss = pss;
	pss->x = x;
	x->next = srv->live;
	if (srv->live != NULL)
		srv->live->prev = x;
	srv->live = x;
	buf_init(&x->body, LIMIT_HTTP_BODY);
	x->path = xstrdup(uri != NULL && uri[0] != '\0' ? uri : "/");
	x->query = copy_query(wsi);
	snprintf(x->method, sizeof(x->method), "%s", method ? method : "");

	clen = content_length(wsi);
	if (method == NULL) {
		x->refuse_status = 400;
		x->refuse_text = "unsupported method\n";
	} else if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) >
		   0) {
		/* lws 4.1 does not decode chunked request bodies: refuse
		 * rather than read the chunks as the next request. */
		x->refuse_status = 400;
		x->refuse_text = "chunked bodies are not accepted; send "
				 "Content-Length\n";
		x->close_after = 1;
	} else if (clen == -2) {
		x->refuse_status = 400;
		x->refuse_text = "malformed content-length\n";
		x->close_after = 1; /* where the body ends is unknown */
	} else {
		x->route = route_find(srv, method, x->path, &path_known);
		if (x->route == NULL) {
			x->refuse_status = path_known ? 405 : 404;
			x->refuse_text =
			    path_known ? "method not allowed\n" : "not found\n";
		}
	}
	if (clen > DRAIN_MAX) {
		/* Refuse without reading: the body is not worth it. */
		lws_return_http_status(wsi, 413, "request body too large");
		return -1;
	}
	if (clen > LIMIT_HTTP_BODY)
		x->too_large = 1;
	if (clen > 0) {
		x->state = X_RECEIVING;
		return 0;
	}
	dispatch(x);
	return 0;
}

static int
write_answer(struct lws *wsi, struct http_exchange *x)
{
	unsigned char hbuf[LWS_PRE + 2048], *start = hbuf + LWS_PRE, *p = start,
					    *end = hbuf + sizeof(hbuf) - 1;
	unsigned char *chunk;
	size_t n, i;
	int final, rc;

	if (!x->headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned)x->status,
			x->ctype, (lws_filepos_t)x->out_len, &p, end))
			return -1;
		for (i = 0; i < x->nout_hdrs; i++) {
			const struct header *h = &x->out_hdrs[i];

			if (lws_add_http_header_by_name(wsi,
				(const unsigned char *)h->name,
				(const unsigned char *)h->value,
				(int)strlen(h->value), &p, end))
				return -1;
		}
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		x->headers_sent = 1;
		if (x->out_len > 0) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	n = x->out_len - x->out_off;
	if (n > WRITE_CHUNK)
		n = WRITE_CHUNK;
	final = x->out_off + n == x->out_len;
	if (n > 0) {
		chunk = xmalloc(LWS_PRE + n);
		memcpy(chunk + LWS_PRE, x->out + x->out_off, n);
		rc = lws_write(wsi, chunk + LWS_PRE, n,
		    final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
		free(chunk);
		if (rc < (int)n)
			return -1;
		x->out_off += n;
	}
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	/* Done: detach before lws may rebind (and free) the session data. */
	final = x->close_after;
	exchange_free(x);
	if (final)
		return -1;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* The connection is closing: an exchange a route still holds is only
 * marked dead; anything else is freed now. */
static void
on_close(struct pss *pss)
{
	struct http_exchange *x = pss->x;

	if (x == NULL)
		return;
	pss->x = NULL;
	x->pss = NULL;
	x->wsi = NULL;
	if (x->state != X_ROUTED)
		exchange_free(x);
}

static int
http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	struct pss *pss = user;
	struct http_exchange *x = pss != NULL ? pss->x : NULL;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (pss == NULL)
			return -1;
		return on_request(wsi, pss, in);
	case LWS_CALLBACK_HTTP_BODY:
		if (x == NULL || x->state != X_RECEIVING)
			return 0;
		if (!x->too_large && !x->refuse_status &&
		    buf_append(&x->body, in, len) < 0) {
			x->too_large = 1;
			buf_free(&x->body);
		}
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (x == NULL || x->state != X_RECEIVING)
			return 0;
		dispatch(x);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (x == NULL || x->state != X_WRITING)
			return 0;
		return write_answer(wsi, x);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss != NULL)
			on_close(pss);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* Splits "host:port"; the host may be empty, "*" or "0.0.0.0" for every
 * IPv4 interface. */
static int
parse_listen(const char *listen, char **host, int *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long v;

	if (colon == NULL)
		return -1;
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || v < 0 ||
	    v > 65535)
		return -1;
	*port = (int)v;
	*host = xstrndup(listen, (size_t)(colon - listen));
	return 0;
}

struct http_server *
http_server_new(
    struct lws_context *ctx, const char *listen, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct http_server *srv;
	char *host;
	int port;

	if (ctx == NULL || listen == NULL ||
	    parse_listen(listen, &host, &port) < 0) {
		snprintf(err, errlen, "bad listen address \"%s\"",
		    listen ? listen : "");
		return NULL;
	}
	srv = xcalloc(1, sizeof(*srv));
	/* lws takes an interface name or an IP literal, not a host name
	 * (eventloop.md P5): a name silently listens nowhere. */
	if (strcmp(host, "localhost") == 0) {
		free(host);
		host = xstrdup("127.0.0.1");
	}
	if (host[0] == '\0' || strcmp(host, "*") == 0 ||
	    strcmp(host, "0.0.0.0") == 0) {
		free(host);
		host = NULL;
	}
	srv->iface = host;
	srv->protocols[0].name = "http";
	srv->protocols[0].callback = http_cb;
	srv->protocols[0].per_session_data_size = sizeof(struct pss);

	memset(&info, 0, sizeof(info));
	info.vhost_name = "http";
	info.port = port;
	info.iface = srv->iface;
	/* Without DISABLE_IPV6, "127.0.0.1" binds every interface (P5). */
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
	info.protocols = srv->protocols;
	info.user = srv;
	info.gid = -1;
	info.uid = -1;
	srv->vh = lws_create_vhost(ctx, &info);
	if (srv->vh == NULL) {
		snprintf(err, errlen, "cannot listen on %s", listen);
		http_server_free(srv);
		return NULL;
	}
	srv->port = lws_get_vhost_listen_port(srv->vh);
	if (srv->port <= 0) {
		snprintf(err, errlen, "cannot listen on %s (no such interface)",
		    listen);
		lws_vhost_destroy(srv->vh);
		srv->vh = NULL;
		http_server_free(srv);
		return NULL;
	}
	log_info("http: listening on %s:%d", srv->iface ? srv->iface : "*",
	    srv->port);
	return srv;
}

void
http_server_route(struct http_server *srv, const char *method, const char *path,
    http_route_cb *cb, void *priv)
{
	struct route *r;

	if (srv == NULL || method == NULL || path == NULL || cb == NULL)
		return;
	srv->routes =
	    xrealloc(srv->routes, (srv->nroutes + 1) * sizeof(*srv->routes));
	r = &srv->routes[srv->nroutes++];
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	r->plen = strlen(path);
	r->prefix = r->plen > 0 && path[r->plen - 1] == '/';
	r->cb = cb;
	r->priv = priv;
}

int
http_server_port(const struct http_server *srv)
{
	return srv != NULL ? srv->port : -1;
}

/* Call after the lws context is destroyed (lws_setup.h): connections
 * are gone by then.  Exchanges that no route answered are freed here, so
 * none may be answered afterwards. */
void
http_server_free(struct http_server *srv)
{
	size_t i;

	if (srv == NULL)
		return;
	while (srv->live != NULL) {
		if (srv->live->wsi != NULL)
			log_warn("http: freed with a connection still open");
		exchange_free(srv->live);
	}
	for (i = 0; i < srv->nroutes; i++) {
		free(srv->routes[i].method);
		free(srv->routes[i].path);
	}
	free(srv->routes);
	free(srv->iface);
	free(srv);
}

const char *
http_exchange_method(const struct http_exchange *x)
{
	return x->method;
}

const char *
http_exchange_path(const struct http_exchange *x)
{
	return x->path;
}

const char *
http_exchange_query(const struct http_exchange *x)
{
	return x->query;
}

const char *
http_exchange_body(const struct http_exchange *x)
{
	return buf_str(&x->body);
}

size_t
http_exchange_body_len(const struct http_exchange *x)
{
	return x->body.len;
}

/* Reads a header from lws: a known token if lws has one by that name,
 * else a custom header (lws keeps unknown names lower-cased). */
static char *
read_header(struct lws *wsi, const char *name)
{
	char key[128], *v;
	const unsigned char *tn;
	int i, n;

	if (strlen(name) + 2 > sizeof(key))
		return NULL;
	snprintf(key, sizeof(key), "%s:", name);
	for (i = 0; i < WSI_TOKEN_COUNT; i++) {
		tn = lws_token_to_string((enum lws_token_indexes)i);
		if (tn == NULL || strcasecmp((const char *)tn, key) != 0)
			continue;
		n = lws_hdr_total_length(wsi, (enum lws_token_indexes)i);
		if (n <= 0)
			return NULL;
		v = xmalloc((size_t)n + 1);
		if (lws_hdr_copy(wsi, v, n + 1, (enum lws_token_indexes)i) <
		    0) {
			free(v);
			return NULL;
		}
		return v;
	}
	n = lws_hdr_custom_length(wsi, key, (int)strlen(key));
	if (n < 0)
		return NULL;
	v = xmalloc((size_t)n + 1);
	if (lws_hdr_custom_copy(wsi, v, n + 1, key, (int)strlen(key)) < 0) {
		free(v);
		return NULL;
	}
	return v;
}

const char *
http_exchange_header(const struct http_exchange *x, const char *name)
{
	struct http_exchange *mx = (struct http_exchange *)x;
	char *v;
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < x->nhdrs; i++)
		if (strcasecmp(x->hdrs[i].name, name) == 0)
			return x->hdrs[i].value;
	/* Headers live in lws's per-connection table, which goes with the
	 * connection: copy on first use so later reads stay valid. */
	if (x->wsi == NULL)
		return NULL;
	v = read_header(x->wsi, name);
	if (v == NULL)
		return NULL;
	mx->hdrs = xrealloc(mx->hdrs, (mx->nhdrs + 1) * sizeof(*mx->hdrs));
	mx->hdrs[mx->nhdrs].name = xstrdup(name);
	mx->hdrs[mx->nhdrs].value = v;
	mx->nhdrs++;
	return v;
}

void
http_exchange_add_header(
    struct http_exchange *x, const char *name, const char *value)
{
	struct buf n = BUF_INIT;
	const char *c;

	if (x == NULL || name == NULL || value == NULL)
		return;
	/* lws wants the name with its colon; CR or LF would split the
	 * header, so such a header is dropped rather than sent. */
	for (c = name; *c != '\0'; c++)
		if (*c == '\r' || *c == '\n' || *c == ':')
			return;
	for (c = value; *c != '\0'; c++)
		if (*c == '\r' || *c == '\n')
			return;
	if (strlen(name) + strlen(value) > 1024)
		return;
	buf_printf(&n, "%s:", name);
	x->out_hdrs =
	    xrealloc(x->out_hdrs, (x->nout_hdrs + 1) * sizeof(*x->out_hdrs));
	x->out_hdrs[x->nout_hdrs].name = buf_detach(&n);
	x->out_hdrs[x->nout_hdrs].value = xstrdup(value);
	x->nout_hdrs++;
}

void
http_respond(struct http_exchange *x, int status, const char *content_type,
    const char *body, size_t len)
{
	if (x == NULL)
		return;
	if (x->state != X_ROUTED) {
		log_warn("http: %s %s answered twice", x->method, x->path);
		return;
	}
	if (x->wsi == NULL) {
		log_debug("http: client left before %s %s was answered",
		    x->method, x->path);
		exchange_free(x);
		return;
	}
	set_answer(x, status, content_type, body != NULL ? body : "",
	    body != NULL ? len : 0);
	start_writing(x);
}
