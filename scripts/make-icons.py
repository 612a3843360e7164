#!/usr/bin/env python3
"""Draws the app icon (a pass-shaped badge) into icons/ at the sizes Tauri bundles.

Kept as a script so the icons can be regenerated without an image editor; it needs only
Python's standard library. PNG, ICO (PNG-in-ICO) and ICNS (PNG entries) are written.
"""
import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "icons"


def pixel(x: float, y: float, size: int) -> tuple[int, int, int, int]:
    # Coordinates in 0..1; a rounded square in deep blue with a light ring and a key dot.
    u, v = x / size, y / size
    r = 0.22
    dx = max(abs(u - 0.5) - (0.5 - r), 0)
    dy = max(abs(v - 0.5) - (0.5 - r), 0)
    if math.hypot(dx, dy) > r - 0.02:
        return (0, 0, 0, 0)
    d = math.hypot(u - 0.5, v - 0.46)
    if 0.20 < d < 0.27:
        return (232, 240, 255, 255)
    if d < 0.07:
        return (232, 240, 255, 255)
    if 0.44 < v < 0.78 and abs(u - 0.5) < 0.035 and v > 0.5:
        return (232, 240, 255, 255)
    shade = int(40 + 50 * v)
    return (20, shade, 140 + int(60 * (1 - v)), 255)


def png(size: int) -> bytes:
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            # 2x2 supersampling for smooth edges
            acc = [0, 0, 0, 0]
            for sx in (0.25, 0.75):
                for sy in (0.25, 0.75):
                    p = pixel(x + sx, y + sy, size)
                    for i in range(4):
                        acc[i] += p[i]
            row.extend(a // 4 for a in acc)
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(images: dict[int, bytes]) -> bytes:
    entries, data = b"", b""
    offset = 6 + 16 * len(images)
    for size, blob in images.items():
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(blob), offset + len(data))
        data += blob
    return struct.pack("<HHH", 0, 1, len(images)) + entries + data


def icns(images: dict[str, bytes]) -> bytes:
    body = b"".join(kind.encode() + struct.pack(">I", len(blob) + 8) + blob for kind, blob in images.items())
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main() -> None:
    OUT.mkdir(exist_ok=True)
    sizes = {32: png(32), 128: png(128), 256: png(256), 512: png(512)}
    (OUT / "32x32.png").write_bytes(sizes[32])
    (OUT / "128x128.png").write_bytes(sizes[128])
    (OUT / "128x128@2x.png").write_bytes(sizes[256])
    (OUT / "icon.png").write_bytes(sizes[512])
    (OUT / "icon.ico").write_bytes(ico({32: sizes[32], 128: sizes[128], 256: sizes[256]}))
    (OUT / "icon.icns").write_bytes(icns({"ic07": sizes[128], "ic08": sizes[256], "ic09": sizes[512]}))


if __name__ == "__main__":
    main()
