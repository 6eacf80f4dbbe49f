#!/usr/bin/env python3
"""Prints the dominant colour of a screenshot and the share of the screen it
fills: `RRGGBB FRACTION DISTINCT` (DISTINCT: number of colours seen).

  screen_colour.py FILE      FILE: what `virsh screenshot` wrote (PNG or PPM)

Standard library only: the e2e tests run where no image library is installed.
"""
import collections
import struct
import sys
import zlib


def ppm_pixels(data):
    fields, pos = [], 2
    while len(fields) < 3:
        while data[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(int(data[start:pos]))
    width, height, _ = fields
    return width, height, 3, data[pos + 1:pos + 1 + width * height * 3]


def png_pixels(data):
    pos, idat, width = 8, [], 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return width, height, bpp, bytes(out)


def main():
    data = open(sys.argv[1], "rb").read()
    if data.startswith(b"\x89PNG"):
        _, _, bpp, pixels = png_pixels(data)
    elif data.startswith(b"P6"):
        _, _, bpp, pixels = ppm_pixels(data)
    else:
        sys.exit("screen_colour.py: not a PNG or binary PPM file")
    counts = collections.Counter(pixels[i:i + 3] for i in range(0, len(pixels), bpp * 7))
    colour, n = counts.most_common(1)[0]
    print(f"{colour.hex()} {n / sum(counts.values()):.2f} {len(counts)}")


if __name__ == "__main__":
    main()
