"""Reads 8-bit RGB/RGBA PNG files (what Chromium's screenshots are) with zlib alone, no PIL:
enough for the browser test to look at the pixels where the report draws its charts."""

import struct
import zlib


class Image:
    """Decoded pixels: rows of bytes, `channels` bytes per pixel (3 or 4)."""

    def __init__(self, width, height, channels, rows):
        self.width = width
        self.height = height
        self.channels = channels
        self.rows = rows

    def pixel(self, x, y):
        row = self.rows[y]
        i = x * self.channels
        return bytes(row[i:i + 3])

    def region_colours(self, left, top, right, bottom):
        """The set of distinct RGB colours in [left, right) x [top, bottom), clipped to the image."""
        left, top = max(0, int(left)), max(0, int(top))
        right, bottom = min(self.width, int(right)), min(self.height, int(bottom))
        colours = {}
        c = self.channels
        for y in range(top, bottom):
            row = self.rows[y]
            for x in range(left, right):
                key = bytes(row[x * c:x * c + 3])
                colours[key] = colours.get(key, 0) + 1
        return colours


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(path, max_rows=None):
    """Decodes the PNG at `path` (8-bit, RGB or RGBA, not interlaced). With max_rows, only the
    first rows are unfiltered (each row depends on the one above, so a prefix is cheap)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError(path + ': not a PNG file')
    pos, idat = 8, []
    width = height = depth = colour = interlace = None
    while pos < len(data):
        (length,) = struct.unpack('>I', data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError('%s: unsupported PNG (bit depth %s, colour type %s, interlace %s)' % (path, depth, colour, interlace))
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b''.join(idat))
    rows = []
    prior = bytearray(stride)
    wanted = height if max_rows is None else min(height, max_rows)
    for y in range(wanted):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prior))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prior[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                if i >= channels:
                    line[i] = (line[i] + _paeth(line[i - channels], prior[i], prior[i - channels])) & 0xFF
                else:
                    line[i] = (line[i] + prior[i]) & 0xFF
        elif kind != 0:
            raise ValueError('%s: bad PNG filter %d in row %d' % (path, kind, y))
        rows.append(line)
        prior = line
    return Image(width, wanted, channels, rows)
