"""The app's two icons, drawn here so the package needs no image files or imaging library.

Teams wants a 192×192 colour icon and a 32×32 outline icon that is white on transparent.
Both show a ring (people around a table), in the colour the Slack app uses.
"""

from __future__ import annotations

import struct
import zlib

ACCENT = (0x2C, 0x5F, 0x2D)
WHITE = (255, 255, 255)


def png(size: int, pixel: object) -> bytes:
    """A PNG (RGBA) of `size`×`size`; `pixel(x, y)` gives each pixel's (r, g, b, a)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size))  # type: ignore[operator]
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _in_ring(x: int, y: int, size: int) -> bool:
    centre = (size - 1) / 2
    distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
    return size * 0.22 <= distance <= size * 0.36


def colour_icon() -> bytes:
    return png(192, lambda x, y: (*WHITE, 255) if _in_ring(x, y, 192) else (*ACCENT, 255))


def outline_icon() -> bytes:
    return png(32, lambda x, y: (*WHITE, 255) if _in_ring(x, y, 32) else (0, 0, 0, 0))
