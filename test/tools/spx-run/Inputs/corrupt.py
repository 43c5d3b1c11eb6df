"""Writes a corrupted copy of a .spxbin for the spx-run error tests.

usage: corrupt.py IN.spxbin OUT.spxbin KIND
  truncate   drop the last 100 bytes
  crc        flip one byte of a weight blob, header crc left as it was
  magic      "SPXB" -> "SPXC"
  kh         command 1's kh field := 0 (crc resealed: only the field is bad)
  tensor     command 0's in0 := 999 (crc resealed)
  aie        target := aie (crc resealed; the loader rejects cpu opcodes)
  bbsgroup   the first BBS group header of the first BBS blob := r 7 (out of
             range; blob and header crcs resealed: only the group is bad)
Offsets follow the layout drawn in runtime/stream/spx_stream.h.
"""
import struct
import sys
import zlib


def reseal(b):
    struct.pack_into("<I", b, 8, zlib.crc32(bytes(b[12:])) & 0xffffffff)


def main():
    src, dst, kind = sys.argv[1:4]
    b = bytearray(open(src, "rb").read())
    cmd_off, _ = struct.unpack_from("<II", b, 32 + 4 * 8)  # section 4
    weights_off, _ = struct.unpack_from("<II", b, 32 + 3 * 8)

    def cmd(i):
        return cmd_off + 8 + 64 * i

    if kind == "truncate":
        b = b[:-100]
    elif kind == "crc":
        b[weights_off + 3] ^= 0x40
    elif kind == "magic":
        b[3] = ord("C")
    elif kind == "kh":
        b[cmd(1) + 36] = 0
        reseal(b)
    elif kind == "tensor":
        struct.pack_into("<H", b, cmd(0) + 16, 999)
        reseal(b)
    elif kind == "aie":
        struct.pack_into("<H", b, 18, 1)
        reseal(b)
    elif kind == "bbsgroup":
        blobs_off, _ = struct.unpack_from("<II", b, 32 + 2 * 8)
        for i in range(struct.unpack_from("<I", b, blobs_off)[0]):
            rec = blobs_off + 8 + 32 * i
            if struct.unpack_from("<H", b, rec + 6)[0] == 2:  # SPX_FMT_BBS
                off, length = struct.unpack_from("<II", b, rec + 8)
                blob = weights_off + off
                data_offset = struct.unpack_from("<I", b, blob + 40)[0]
                b[blob + data_offset] = 0xE0  # header bits 7..5 = r 7
                struct.pack_into("<I", b, rec + 16, zlib.crc32(bytes(b[blob:blob + length])))
                break
        else:
            raise SystemExit("no BBS blob")
        reseal(b)
    else:
        raise SystemExit("unknown kind " + kind)
    open(dst, "wb").write(bytes(b))


if __name__ == "__main__":
    main()
