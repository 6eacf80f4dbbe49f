/*
 * Login limits (see login_limits.h): per address and kind, the failures
 * counted since the address last went quiet, the time of the last one, and
 * the checks under way.
 */
#include "login_limits.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

/* Passwords: people mistype a few times; a password chosen by a person
 * may be weak, so guesses past 5 soon come slowly (the wait doubles from
 * 1 s to 5 min: about a dozen guesses an hour per address). Join codes:
 * a room of trainees behind one address mistypes more often, and a code
 * is 8 random characters (about 2^39.6), so 10 are free and the wait stops
 * at 1 min (about 60 guesses an hour per address). */
const login_rule LOGIN_RULES[LOGIN_KINDS] = {
    [LOGIN_PASSWORD] = {5, 1000, 5 * 60 * 1000, 30 * 60 * 1000, 2},
    [LOGIN_CODE] = {10, 1000, 60 * 1000, 10 * 60 * 1000, 4},
};

typedef struct kind_state {
    unsigned failures;
    int64_t last_failure_ms;
    unsigned under_way;
} kind_state;

typedef struct address_state {
    char *address;
    int64_t last_seen_ms;
    kind_state kinds[LOGIN_KINDS];
} address_state;

struct login_limits {
    login_rule rules[LOGIN_KINDS];
    address_state *addresses;
    size_t n, max;
};

login_limits *login_limits_new(const login_rule *rules, size_t max_addresses)
{
    login_limits *ll = xcalloc(1, sizeof(login_limits));
    memcpy(ll->rules, rules ? rules : LOGIN_RULES, sizeof ll->rules);
    ll->max = max_addresses ? max_addresses : 1;
    ll->addresses = xcalloc(ll->max, sizeof(address_state));
    return ll;
}

void login_limits_free(login_limits *ll)
{
    if (!ll)
        return;
    for (size_t i = 0; i < ll->n; i++)
        free(ll->addresses[i].address);
    free(ll->addresses);
    free(ll);
}

static bool busy(const address_state *a)
{
    for (int k = 0; k < LOGIN_KINDS; k++)
        if (a->kinds[k].under_way)
            return true;
    return false;
}

/* The state of address, made when new (forgetting the one idle longest,
 * preferring one with no check under way). */
static address_state *lookup(login_limits *ll, const char *address, int64_t now_ms, bool make)
{
    for (size_t i = 0; i < ll->n; i++)
        if (strcmp(ll->addresses[i].address, address) == 0) {
            ll->addresses[i].last_seen_ms = now_ms;
            return &ll->addresses[i];
        }
    if (!make)
        return NULL;
    if (ll->n == ll->max) {
        size_t victim = SIZE_MAX;
        for (int pass = 0; pass < 2 && victim == SIZE_MAX; pass++)
            for (size_t i = 0; i < ll->n; i++)
                if ((pass || !busy(&ll->addresses[i])) &&
                    (victim == SIZE_MAX ||
                     ll->addresses[i].last_seen_ms < ll->addresses[victim].last_seen_ms))
                    victim = i;
        free(ll->addresses[victim].address);
        ll->addresses[victim] = ll->addresses[--ll->n];
    }
    address_state *a = &ll->addresses[ll->n++];
    memset(a, 0, sizeof *a);
    a->address = xstrdup(address);
    a->last_seen_ms = now_ms;
    return a;
}

/* The wait after `failures` failures (counting those under way). */
static int64_t wait_after(const login_rule *r, unsigned failures)
{
    if (failures < r->free_failures)
        return 0;
    int64_t wait = r->first_wait_ms;
    for (unsigned k = r->free_failures; k < failures && wait < r->max_wait_ms; k++)
        wait *= 2;
    return wait < r->max_wait_ms ? wait : r->max_wait_ms;
}

bool login_limits_begin(login_limits *ll, const char *address, login_kind kind, int64_t now_ms,
                        int64_t *retry_ms)
{
    const login_rule *r = &ll->rules[kind];
    kind_state *k = &lookup(ll, address, now_ms, true)->kinds[kind];
    if (k->failures && !k->under_way && now_ms - k->last_failure_ms >= r->forget_ms)
        k->failures = 0;
    int64_t retry = 0;
    if (k->under_way >= r->in_flight) {
        retry = 1000; /* the checks under way end within a second or so */
    } else {
        /* f failures past the free ones: wait first_wait * 2^(f - free)
         * after the last one. A check under way may be one more: while
         * it runs, no other may begin past the free ones. */
        int64_t wait = wait_after(r, k->failures + k->under_way);
        if (wait > 0 && k->under_way)
            retry = wait;
        else if (wait > 0 && k->last_failure_ms + wait > now_ms)
            retry = k->last_failure_ms + wait - now_ms;
    }
    if (retry > 0) {
        if (retry_ms)
            *retry_ms = retry;
        return false;
    }
    k->under_way++;
    return true;
}

void login_limits_end(login_limits *ll, const char *address, login_kind kind, bool ok,
                      int64_t now_ms)
{
    address_state *a = lookup(ll, address, now_ms, !ok);
    if (!a)
        return;
    kind_state *k = &a->kinds[kind];
    if (k->under_way)
        k->under_way--;
    if (!ok) {
        k->failures++;
        k->last_failure_ms = now_ms;
    }
}
