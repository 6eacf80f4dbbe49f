/*
 * Per-team variation (see variation.h).
 */
#include "variation.h"
#include "alloc.h"
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ---- SipHash-2-4 (Aumasson and Bernstein), the keyed hash ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = ROTL(v[1], 13);
    v[1] ^= v[0];
    v[0] = ROTL(v[0], 32);
    v[2] += v[3];
    v[3] = ROTL(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = ROTL(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = ROTL(v[1], 17);
    v[1] ^= v[2];
    v[2] = ROTL(v[2], 32);
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

static uint64_t siphash(const uint8_t key[16], const uint8_t *in, size_t len)
{
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                     k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(in + i);
        v[3] ^= m;
        sip_round(v);
        sip_round(v);
        v[0] ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v[3] ^= b;
    sip_round(v);
    sip_round(v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- seeds ---- */

void variation_seed_new(char seed[VARIATION_SEED_SIZE])
{
    uint8_t key[16];
    size_t got = 0;
    while (got < sizeof key) {
        ssize_t n = getrandom(key + got, sizeof key - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof key; i++)
        snprintf(seed + 2 * i, 3, "%02x", key[i]);
}

static bool seed_key(const char *seed, uint8_t key[16])
{
    if (!seed || strlen(seed) != 32)
        return false;
    if (strspn(seed, "0123456789abcdefABCDEF") != 32)
        return false;
    for (size_t i = 0; i < 16; i++) {
        char pair[3] = {seed[2 * i], seed[2 * i + 1], '\0'};
        key[i] = (uint8_t)strtoul(pair, NULL, 16);
    }
    return true;
}

bool variation_seed_valid(const char *seed)
{
    uint8_t key[16];
    return seed_key(seed, key);
}

/* ---- drawing ---- */

/* The draw-th number of the variable's stream for team (0: the variable as
 * a whole): hash of name, NUL, team, draw. */
static uint64_t draw(const uint8_t key[16], const char *name, int team, uint32_t n)
{
    size_t len = strlen(name);
    uint8_t *msg = xmalloc(len + 9);
    memcpy(msg, name, len);
    msg[len] = 0;
    for (int i = 0; i < 4; i++) {
        msg[len + 1 + i] = (uint8_t)((uint32_t)team >> (8 * i));
        msg[len + 5 + i] = (uint8_t)(n >> (8 * i));
    }
    uint64_t h = siphash(key, msg, len + 9);
    free(msg);
    return h;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static const char PASSWORD_CHARS[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
static const char CONSONANTS[] = "bcdfghjklmnprstvz";
static const char VOWELS[] = "aeiou";

static bool strong(const char *p)
{
    return strpbrk(p, "ABCDEFGHJKLMNPQRSTUVWXYZ") && strpbrk(p, "abcdefghijkmnopqrstuvwxyz") &&
           strpbrk(p, "23456789");
}

/* A password or word for team from its n-th attempt. */
static char *random_text(const uint8_t key[16], const scenario_variable *var, int team, uint32_t n)
{
    char *out = xmalloc(var->length + 1);
    for (unsigned i = 0; i < var->length; i++) {
        uint64_t r = draw(key, var->name, team, n * 256u + i + 1);
        if (var->kind == VARIABLE_PASSWORD)
            out[i] = PASSWORD_CHARS[r % (sizeof PASSWORD_CHARS - 1)];
        else if (i % 2 == 0)
            out[i] = CONSONANTS[r % (sizeof CONSONANTS - 1)];
        else
            out[i] = VOWELS[r % (sizeof VOWELS - 1)];
    }
    out[var->length] = '\0';
    return out;
}

/* Every team's value of var (values[t] for team t + 1). */
static void draw_all(const uint8_t key[16], const scenario_variable *var, unsigned nteams,
                     char **values)
{
    if (var->kind == VARIABLE_ONE_OF && var->nchoices) {
        /* The choices shuffled once (Fisher-Yates), then dealt out in turn. */
        size_t n = var->nchoices, *order = xcalloc(n, sizeof(size_t));
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(draw(key, var->name, 0, (uint32_t)i) % (i + 1));
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (unsigned t = 0; t < nteams; t++)
            values[t] = xstrdup(var->choices[order[t % n]]);
        free(order);
    } else if (var->kind == VARIABLE_NUMBER) {
        /* offset + team * stride modulo the size, the stride prime to the
         * size: a different number for each team while there are any. */
        uint64_t size = (uint64_t)(var->hi - var->lo) + 1;
        uint64_t offset = draw(key, var->name, 0, 1) % size;
        uint64_t stride = size > 1 ? 1 + draw(key, var->name, 0, 2) % (size - 1) : 1;
        while (gcd(stride, size) != 1)
            stride = stride % size + 1;
        for (unsigned t = 0; t < nteams; t++) {
            uint64_t k = (uint64_t)(((unsigned __int128)stride * t + offset) % size);
            values[t] = xasprintf("%lld", var->lo + (long long)k);
        }
    } else {
        for (unsigned t = 0; t < nteams; t++) {
            for (uint32_t attempt = 0;; attempt++) {
                values[t] = random_text(key, var, (int)t + 1, attempt);
                bool taken = var->kind == VARIABLE_PASSWORD && !strong(values[t]);
                for (unsigned u = 0; u < t && !taken; u++)
                    taken = !strcmp(values[u], values[t]);
                /* Short words run out of new ones: give up after a while. */
                if (!taken || attempt >= 64)
                    break;
                free(values[t]);
            }
        }
    }
}

int variation_fill(team_vars *v, const scenario *s, const char *seed)
{
    uint8_t key[16];
    if (!seed_key(seed, key))
        return ENSHU_EINVAL;
    unsigned nteams = team_vars_teams(v);
    team_vars_set_seed(v, seed);
    char **values = xcalloc(nteams + 1, sizeof(char *));
    for (size_t i = 0; i < s->nvariables; i++) {
        const scenario_variable *var = &s->variables[i];
        char *name = xasprintf("var %s", var->name);
        draw_all(key, var, nteams, values);
        for (unsigned t = 0; t < nteams; t++) {
            team_vars_set(v, (int)t + 1, name, values[t]);
            free(values[t]);
        }
        free(name);
    }
    free(values);
    return ENSHU_OK;
}

char *variation_value(const scenario_variable *var, const char *seed, int team, unsigned nteams)
{
    uint8_t key[16];
    if (!seed_key(seed, key) || team < 1 || (unsigned)team > nteams)
        return NULL;
    char **values = xcalloc(nteams, sizeof(char *));
    draw_all(key, var, nteams, values);
    char *value = values[team - 1];
    for (unsigned t = 0; t < nteams; t++)
        if (t != (unsigned)team - 1)
            free(values[t]);
    free(values);
    return value;
}
