#!/usr/bin/env python3
"""The next release of an app image, as a build makes it: the same image
with a new version in its descriptor and a few payload bytes changed, its
checksum and appended SHA-256 made again. A patch between the two is small
(two unrelated `ota image make` images have no patch worth publishing).

Usage: app_variant.py IN OUT VERSION [SEED]
"""
import hashlib
import struct
import sys


def main():
    src, dst, version = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    img = bytearray(open(src, "rb").read())
    if img[0] != 0xE9 or len(version) >= 32:
        sys.exit("%s: not an app image, or the version is too long" % src)
    nseg, hashed = img[1], img[23] == 1
    desc = 24 + 8  # segment 0's data starts with the app descriptor
    img[desc + 16:desc + 48] = version.ljust(32, b"\0")
    pos, segs = 24, []
    for _ in range(nseg):
        length = struct.unpack_from("<I", img, pos + 4)[0]
        segs.append((pos + 8, length))
        pos += 8 + length
    start, length = segs[0]
    for k in range(8):  # a few scattered changes past the descriptor
        at = start + 256 + (seed * 7919 + k * 104729) % max(1, length - 512)
        img[at] ^= 0x5A
    check = 0xEF
    for start, length in segs:
        for b in img[start:start + length]:
            check ^= b
    end = (pos + 1 + 15) // 16 * 16  # the checksum is the last byte of the padding
    img[end - 1] = check
    if hashed:
        img[end:end + 32] = hashlib.sha256(bytes(img[:end])).digest()
    open(dst, "wb").write(bytes(img))


if __name__ == "__main__":
    main()
