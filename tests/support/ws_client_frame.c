/*
 * A client's websocket frame (see ws_client_frame.h).
 */
#include "ws_client_frame.h"

#include <stdint.h>
#include <string.h>

size_t ws_client_frame(unsigned char *out, int opcode, bool fin, const void *data, size_t len,
                       const unsigned char mask[4])
{
    size_t h = 0;
    out[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        out[h++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (unsigned char)(len >> 8);
        out[h++] = (unsigned char)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    memcpy(out + h, mask, 4);
    h += 4;
    const unsigned char *d = data;
    for (size_t i = 0; i < len; i++)
        out[h + i] = d[i] ^ mask[i & 3];
    return h + len;
}
