# patch_blob.py IN OUT BLOB INDEX VALUE: copies a .spxbin, sets int32 element
# INDEX of blob BLOB to VALUE, and recomputes the blob's and the header's
# crc32, so that only the value checks can reject it.
import struct, sys, zlib
src, dst, blob, index, value = sys.argv[1:6]
b = bytearray(open(src, "rb").read())
blobs_off = struct.unpack_from("<I", b, 32 + 8 * 2)[0]
weights_off = struct.unpack_from("<I", b, 32 + 8 * 3)[0]
rec = blobs_off + 8 + 32 * int(blob)
off, length = struct.unpack_from("<II", b, rec + 8)
at = weights_off + off + 4 * int(index)
assert 4 * int(index) + 4 <= length, "index beyond the blob"
struct.pack_into("<i", b, at, int(value))
struct.pack_into("<I", b, rec + 16, zlib.crc32(bytes(b[weights_off + off:weights_off + off + length])) & 0xffffffff)
struct.pack_into("<I", b, 8, zlib.crc32(bytes(b[12:])) & 0xffffffff)
open(dst, "wb").write(bytes(b))
