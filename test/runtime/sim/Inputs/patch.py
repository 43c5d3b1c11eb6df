# Corrupts a .spxbin on purpose and reseals it (crc32s recomputed), so the
# loader's semantic checks - not the checksum - must catch the problem. One
# script for every target whose PE opcode has the layout of bs.pe / lpa.pe
# (cpu.layer fields, then tile_m, tile_k, tile_p, mdesc at bytes 46..57) and
# whose machine description is the last blob (the lowering appends it).
#   patch.py IN OUT EDIT...
# EDIT is one of
#   cmd:I:FIELD=V    command I's field (opcode, iterations, op, tile_m,
#                    tile_k, tile_p, mdesc, pairs (lpa.pe only), read_rows
#                    (xbar.mvm only), zero_tail =
#                    zero bytes 46..63)
#   mdesc:J=V        value J (table order) of the last blob, the target's
#                    machine description
#   hash=V           the header's machine-description hash
#   target=V         the header's target id
#   blob:I:OFF=V     byte OFF of blob I's data (its crc32 recomputed)
#   enc:I=V          blob I's encoding (SPX_CS_ENCODINGS)
import struct, sys, zlib

FIELDS = {"opcode": (0, "B"), "iterations": (4, "<I"), "op": (12, "B"),
          "tile_m": (46, "<H"), "tile_k": (48, "<I"), "tile_p": (52, "<I"),
          "mdesc": (56, "<H"), "pairs": (58, "B"), "read_rows": (58, "<H")}
b = bytearray(open(sys.argv[1], "rb").read())
sec = [struct.unpack_from("<II", b, 32 + 8 * i) for i in range(8)]
blobs_off, weights_off, cmds_off = sec[2][0], sec[3][0], sec[4][0]
nblobs = struct.unpack_from("<I", b, blobs_off)[0]
for edit in sys.argv[3:]:
    if edit.startswith("cmd:"):
        _, i, rest = edit.split(":", 2)
        rec = cmds_off + 8 + 64 * int(i)
        name, v = rest.split("=")
        if name == "zero_tail":
            b[rec + 46:rec + 64] = bytes(18)
            continue
        off, fmt = FIELDS[name]
        struct.pack_into(fmt, b, rec + off, int(v, 0))
    elif edit.startswith("mdesc:"):
        j, v = edit[6:].split("=")
        rec = blobs_off + 8 + 32 * (nblobs - 1)
        off, length = struct.unpack_from("<II", b, rec + 8)
        struct.pack_into("<i", b, weights_off + off + 4 * int(j), int(v, 0))
        crc = zlib.crc32(bytes(b[weights_off + off:weights_off + off + length]))
        struct.pack_into("<I", b, rec + 16, crc)
    elif edit.startswith("blob:"):
        _, i, rest = edit.split(":", 2)
        at, v = rest.split("=")
        rec = blobs_off + 8 + 32 * int(i)
        off, length = struct.unpack_from("<II", b, rec + 8)
        b[weights_off + off + int(at, 0)] = int(v, 0)
        crc = zlib.crc32(bytes(b[weights_off + off:weights_off + off + length]))
        struct.pack_into("<I", b, rec + 16, crc)
    elif edit.startswith("enc:"):
        i, v = edit[4:].split("=")
        struct.pack_into("<H", b, blobs_off + 8 + 32 * int(i) + 6, int(v, 0))
    elif edit.startswith("target="):
        struct.pack_into("<H", b, 18, int(edit[7:], 0))
    elif edit.startswith("hash="):
        struct.pack_into("<Q", b, 24, int(edit[5:], 0))
    else:
        sys.exit("bad edit " + edit)
struct.pack_into("<I", b, 8, zlib.crc32(bytes(b[12:])))
open(sys.argv[2], "wb").write(b)
