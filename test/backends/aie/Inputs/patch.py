# patch.py IN OUT OPCODE NTH OFFSET SIZE VALUE: copies a .spxbin, sets the
# SIZE-byte little-endian field at byte OFFSET of the NTH command (0-based)
# whose opcode is OPCODE (hex), and recomputes the header crc32 so that only
# the aie rules can reject it.
import sys, zlib, struct
src, dst, opcode, nth, off, size, value = sys.argv[1:8]
b = bytearray(open(src, "rb").read())
sec_off, sec_size = struct.unpack_from("<II", b, 32 + 8 * 4)  # commands
count = struct.unpack_from("<I", b, sec_off)[0]
k = -1
for i in range(count):
    rec = sec_off + 8 + 64 * i
    if b[rec] == int(opcode, 16):
        k += 1
        if k == int(nth):
            b[rec + int(off):rec + int(off) + int(size)] = int(value).to_bytes(int(size), "little")
            break
else:
    sys.exit("no such command")
struct.pack_into("<I", b, 8, zlib.crc32(bytes(b[12:])) & 0xffffffff)
open(dst, "wb").write(bytes(b))
