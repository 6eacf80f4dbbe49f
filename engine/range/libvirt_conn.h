/*
 * libvirt connections: opening them with a useful error, silencing
 * libvirt's default error printing (we report errors ourselves, once), and
 * a cache that hands each worker thread its own connection to a host.
 */
#ifndef ENSHU_LIBVIRT_CONN_H
#define ENSHU_LIBVIRT_CONN_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

/* Call once before any other libvirt use. */
void libvirt_setup(void);

/* The message of the last libvirt error on this thread. */
const char *libvirt_error(void);

/* True if the last libvirt error means "no such object". */
bool libvirt_error_is_missing(void);

/* virConnectGetType, one caller at a time: libvirt's remote driver keeps
 * the type it was first told without a lock, so threads asking at once on
 * one connection each store theirs and all but one leak. NULL on error. */
const char *libvirt_host_type(virConnectPtr conn);

/* Opens uri, reporting failure with what to do next. */
virConnectPtr libvirt_open(const char *uri);

typedef struct conn_cache conn_cache;

conn_cache *conn_cache_new(void);
void conn_cache_free(conn_cache *cache);

/* A connection to uri for worker; opened on first use, and again when it
 * died (the host restarted). libvirt's test driver keeps its objects per
 * connection, so every cache of the process shares one per test:// URI
 * (never opened again while a cache holds it; closed, and the simulated
 * host forgotten, when the last cache holding it is freed). Any thread may
 * call it; connecting happens outside the cache's lock, so a host that does
 * not answer stalls only the callers that want that host. When two callers
 * connect at once, both get the one connection that is kept. */
virConnectPtr conn_cache_get(conn_cache *cache, const char *uri, unsigned worker);

#endif
