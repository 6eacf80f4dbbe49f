/*
 * Opening and sharing libvirt connections (see libvirt_conn.h).
 */
#include "libvirt_conn.h"
#include "alloc.h"
#include "log.h"

#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet_error(void *data, virErrorPtr err)
{
    (void)data;
    (void)err;
}

void libvirt_setup(void)
{
    virInitialize();
    virSetErrorFunc(NULL, quiet_error);
}

const char *libvirt_error(void)
{
    const char *msg = virGetLastErrorMessage();
    return msg ? msg : "unknown libvirt error";
}

bool libvirt_error_is_missing(void)
{
    int code = virGetLastErrorCode();
    return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_NO_NETWORK ||
           code == VIR_ERR_NO_STORAGE_VOL || code == VIR_ERR_NO_STORAGE_POOL ||
           code == VIR_ERR_NO_NWFILTER;
}

const char *libvirt_host_type(virConnectPtr conn)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    const char *type = virConnectGetType(conn);
    pthread_mutex_unlock(&lock);
    return type;
}

virConnectPtr libvirt_open(const char *uri)
{
    virConnectPtr conn = virConnectOpen(uri);
    if (!conn)
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: cannot connect to libvirt at %s: %s\n"
                   "  Is libvirtd running there? On this machine 'scripts/setup' starts it.",
                   uri, libvirt_error());
    return conn;
}

typedef struct cached_conn {
    char *uri;
    unsigned worker;
    virConnectPtr conn;
} cached_conn;

struct conn_cache {
    pthread_mutex_t lock;
    cached_conn *items;
    size_t count;
    size_t cap;
    virConnectPtr *dead; /* replaced after their host stopped answering */
    size_t ndead, dead_cap;
};

/* libvirt's test driver keeps a simulated host's objects in the
 * connection: every cache in the process shares one connection per test://
 * URI, so that all see the same host, as they would a real one. It is
 * closed (and the simulated host forgotten) when the last cache holding
 * it is freed. */
typedef struct shared_test_conn {
    char *uri;
    virConnectPtr conn;
    unsigned holders;
} shared_test_conn;

static pthread_mutex_t test_conns_lock = PTHREAD_MUTEX_INITIALIZER;
static shared_test_conn *test_conns;
static size_t ntest_conns, test_conns_cap;

static virConnectPtr test_conn_hold(const char *uri)
{
    pthread_mutex_lock(&test_conns_lock);
    for (size_t i = 0; i < ntest_conns; i++) {
        if (!strcmp(test_conns[i].uri, uri)) {
            test_conns[i].holders++;
            virConnectPtr conn = test_conns[i].conn;
            pthread_mutex_unlock(&test_conns_lock);
            return conn;
        }
    }
    /* Under the lock: the test driver answers at once. */
    virConnectPtr conn = libvirt_open(uri);
    if (conn) {
        XGROW(test_conns, test_conns_cap, ntest_conns + 1);
        test_conns[ntest_conns++] = (shared_test_conn){xstrdup(uri), conn, 1};
    }
    pthread_mutex_unlock(&test_conns_lock);
    return conn;
}

static void test_conn_release(virConnectPtr conn)
{
    pthread_mutex_lock(&test_conns_lock);
    for (size_t i = 0; i < ntest_conns; i++) {
        if (test_conns[i].conn == conn && --test_conns[i].holders == 0) {
            virConnectClose(conn);
            free(test_conns[i].uri);
            test_conns[i] = test_conns[--ntest_conns];
            break;
        }
    }
    if (ntest_conns == 0) {
        free(test_conns);
        test_conns = NULL;
        test_conns_cap = 0;
    }
    pthread_mutex_unlock(&test_conns_lock);
}

conn_cache *conn_cache_new(void)
{
    conn_cache *c = xcalloc(1, sizeof(conn_cache));
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void conn_cache_free(conn_cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < cache->count; i++) {
        if (cache->items[i].conn && strncmp(cache->items[i].uri, "test:", 5) == 0)
            test_conn_release(cache->items[i].conn);
        else if (cache->items[i].conn)
            virConnectClose(cache->items[i].conn);
        free(cache->items[i].uri);
    }
    free(cache->items);
    for (size_t i = 0; i < cache->ndead; i++)
        virConnectClose(cache->dead[i]);
    free(cache->dead);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

/* The cached item for (uri, worker), or NULL. Called with the lock held. */
static cached_conn *find_locked(conn_cache *cache, const char *uri, unsigned worker)
{
    for (size_t i = 0; i < cache->count; i++)
        if (cache->items[i].worker == worker && strcmp(cache->items[i].uri, uri) == 0)
            return &cache->items[i];
    return NULL;
}

/* Connecting can take as long as a dead host makes it (TCP and keepalive
 * timeouts): it never happens under the lock, so one host that does not
 * answer holds back no thread that wants another. Two threads that raced
 * to connect keep the first connection cached and close the other. */
virConnectPtr conn_cache_get(conn_cache *cache, const char *uri, unsigned worker)
{
    bool test = strncmp(uri, "test:", 5) == 0;
    if (test)
        worker = 0;
    pthread_mutex_lock(&cache->lock);
    cached_conn *item = find_locked(cache, uri, worker);
    virConnectPtr cached = item ? item->conn : NULL;
    pthread_mutex_unlock(&cache->lock);
    /* A host that restarted (or a network that broke) left the connection
     * dead: open it again. Never a test:// one (its objects live in the
     * connection). */
    if (cached && (test || virConnectIsAlive(cached) == 1))
        return cached;
    virConnectPtr fresh = test     ? test_conn_hold(uri)
                          : cached ? virConnectOpen(uri)
                                   : libvirt_open(uri);
    if (!fresh)
        return cached; /* still dead: calls on it fail and say so */
    virConnectPtr extra = NULL;
    pthread_mutex_lock(&cache->lock);
    item = find_locked(cache, uri, worker);
    if (!item) {
        XGROW(cache->items, cache->cap, cache->count + 1);
        item = &cache->items[cache->count++];
        item->uri = xstrdup(uri);
        item->worker = worker;
        item->conn = fresh;
    } else if (item->conn == cached) {
        /* The dead one is kept until the cache is freed: another thread
         * may still hold it. */
        XGROW(cache->dead, cache->dead_cap, cache->ndead + 1);
        cache->dead[cache->ndead++] = item->conn;
        item->conn = fresh;
    } else {
        extra = fresh; /* another thread connected first: use its connection */
    }
    virConnectPtr conn = item->conn;
    pthread_mutex_unlock(&cache->lock);
    if (extra && test)
        test_conn_release(extra);
    else if (extra)
        virConnectClose(extra);
    return conn;
}
