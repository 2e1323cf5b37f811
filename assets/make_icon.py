#!/usr/bin/env python3
"""Draws assets/icon.png (64x64 RGBA): a dark rounded tile with a rising income line over three army bars.
Standard library only (zlib + struct), so anyone can regenerate it: python3 assets/make_icon.py"""
import os, struct, zlib

N = 64
px = [[(0, 0, 0, 0)] * N for _ in range(N)]

def inside_rounded(x, y, r=12):
    cx = min(max(x, r), N - 1 - r)
    cy = min(max(y, r), N - 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

for y in range(N):
    for x in range(N):
        if inside_rounded(x, y):
            px[y][x] = (22, 26, 34, 255)

# Three bars: land (green), air (blue), sea (teal), like the army panel.
for (x0, h, c) in [(12, 18, (150, 190, 90)), (27, 28, (120, 180, 255)), (42, 22, (60, 130, 200))]:
    for y in range(52 - h, 52):
        for x in range(x0, x0 + 10):
            px[y][x] = c + (255,)

# A rising metal-income line in amber, 3 px thick.
pts = [(8, 44), (20, 36), (32, 38), (44, 22), (56, 12)]
for (xa, ya), (xb, yb) in zip(pts, pts[1:]):
    steps = max(abs(xb - xa), abs(yb - ya)) * 3
    for i in range(steps + 1):
        x = xa + (xb - xa) * i / steps
        y = ya + (yb - ya) * i / steps
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                xi, yi = int(round(x)) + dx, int(round(y)) + dy
                if 0 <= xi < N and 0 <= yi < N:
                    px[yi][xi] = (255, 205, 60, 255)

raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in px)

def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png")
with open(out, "wb") as f:
    f.write(png)
print(out)
