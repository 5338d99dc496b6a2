/*
 * The HTTP listener on the bot's libwebsockets context: health, metrics,
 * and the routes the chat adapters register (slash commands, button
 * callbacks).  Bodies over LIMIT_HTTP_BODY are refused with 413; unknown
 * routes get 404, bad requests 400, always with a short text body.
 *
 * A route handler gets an exchange and answers it now or later with
 * http_respond(); the exchange stays valid until answered even if the
 * client goes away (the answer is then dropped).
 */
#ifndef PMBOT_HTTP_SERVER_H
#define PMBOT_HTTP_SERVER_H

#include <stddef.h>

struct lws_context;
struct http_server;
struct http_exchange;

typedef void http_route_cb(struct http_exchange *x, void *priv);

/* Creates the listening vhost on ctx; listen is "host:port" (port 0 picks
 * a free port).  NULL with err filled when it cannot listen. */
struct http_server *http_server_new(
    struct lws_context *ctx, const char *listen, char *err, size_t errlen);
/* Registers a route: method "GET"/"POST"; path exact, or a prefix when it
 * ends with '/'. */
void http_server_route(struct http_server *srv, const char *method,
    const char *path, http_route_cb *cb, void *priv);
/* The port actually bound. */
int http_server_port(const struct http_server *srv);
void http_server_free(struct http_server *srv);

const char *http_exchange_method(const struct http_exchange *x);
const char *http_exchange_path(const struct http_exchange *x);
const char *http_exchange_query(const struct http_exchange *x); /* or "" */
const char *http_exchange_body(const struct http_exchange *x);  /* or "" */
size_t http_exchange_body_len(const struct http_exchange *x);
/* A request header by lower-case name, or NULL. */
const char *http_exchange_header(
    const struct http_exchange *x, const char *name);
/* Adds a response header ("Retry-After", "1") sent with the answer; call
 * before http_respond. */
void http_exchange_add_header(
    struct http_exchange *x, const char *name, const char *value);
/* Answers and releases the exchange. */
void http_respond(struct http_exchange *x, int status, const char *content_type,
    const char *body, size_t len);

#endif
