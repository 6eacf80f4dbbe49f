/*
 * libFuzzer target for the display relay's reading of a viewer's RFB stream
 * (engine/range/rfb_client_filter.c). The first input byte picks view-only
 * (its low bit) and a split (the rest); the remaining bytes are the stream.
 *
 * Besides "no crash", it holds the filter to its contract:
 * - a stream fed whole and fed in pieces gives the same verdict and, when
 *   readable, the same bytes to forward;
 * - it never forwards more than it was given, nor more than its bound per call;
 * - what a view-only viewer forwards holds no input: read again by a
 *   view-only filter, nothing of it is dropped and it comes out the same;
 * - a failed filter stays failed and forwards nothing.
 */
#include "errors.h"
#include "rfb_client_filter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract_broken(const char *what)
{
    fprintf(stderr, "fuzz_rfb_filter: filter contract broken: %s\n", what);
    abort();
}

/* Feeds in in pieces of step bytes; returns the rc, the bytes in *out. */
static int run(bool view_only, const uint8_t *in, size_t len, size_t step, uint8_t *out,
               size_t *out_len, rfb_client_filter *f)
{
    rfb_client_filter_init(f, view_only);
    *out_len = 0;
    for (size_t off = 0; off < len;) {
        size_t n = len - off < step ? len - off : step;
        size_t got = 0;
        int rc = rfb_client_filter_feed(f, in + off, n, out + *out_len, &got);
        if (rc != ENSHU_OK) {
            if (got != 0 || rfb_client_filter_error(f) == NULL)
                contract_broken("a refusal forwarded bytes or gave no reason");
            return rc;
        }
        if (got > n + RFB_FILTER_HEADER_MAX)
            contract_broken("a call forwarded more than its bound");
        *out_len += got;
        off += n;
    }
    if (*out_len > len)
        contract_broken("it forwarded more than it was given");
    return ENSHU_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool view_only = data[0] & 1;
    size_t step = (size_t)(data[0] >> 1) % 17 + 1;
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    /* Room for the bytes forwarded plus one call's bound. */
    uint8_t *whole = malloc(len + RFB_FILTER_HEADER_MAX + 1);
    uint8_t *split = malloc(len + RFB_FILTER_HEADER_MAX + 1);
    uint8_t *again = malloc(len + RFB_FILTER_HEADER_MAX + 1);
    size_t whole_len, split_len, again_len;
    rfb_client_filter f, g, h;
    int a = run(view_only, in, len, len ? len : 1, whole, &whole_len, &f);
    int b = run(view_only, in, len, step, split, &split_len, &g);
    if (a != b)
        contract_broken("whole and split streams got different verdicts");
    if (a == ENSHU_OK) {
        if (whole_len != split_len || memcmp(whole, split, whole_len) != 0)
            contract_broken("whole and split streams forwarded different bytes");
        if (view_only) {
            if (run(true, whole, whole_len, step, again, &again_len, &h) != ENSHU_OK)
                contract_broken("what it forwarded cannot be read again");
            if (h.dropped != 0 || again_len != whole_len || memcmp(again, whole, whole_len) != 0)
                contract_broken("a view-only viewer's stream still held input");
        }
    } else {
        uint8_t out[RFB_FILTER_HEADER_MAX + 1];
        size_t got = 1;
        if (rfb_client_filter_feed(&f, (const uint8_t *)"\x03", 1, out, &got) != ENSHU_EINVAL ||
            got != 0)
            contract_broken("a failed filter read on");
    }
    free(whole);
    free(split);
    free(again);
    return 0;
}
