"""Independent reference for random(...) (docs/language.md): prints the
float32 bytes spxc must produce, as MLIR dense-resource hex. Used to write the
CHECK lines of random_init.spx; rerun it if the documented scheme changes."""
import math, struct
M = (1 << 64) - 1
def splitmix64(x):
    x = (x + 0x9e3779b97f4a7c15) & M
    z = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return x, z ^ (z >> 31)
def fnv1a64(s):
    h = 0xcbf29ce484222325
    for c in s.encode():
        h = ((h ^ c) * 0x100000001b3) & M
    return h
def uniform(seed, name, n, c, h):
    _, z = splitmix64(seed)
    state, out = z ^ fnv1a64(name), b""
    for _ in range(n):
        state, z = splitmix64(state)
        u = z >> 40
        out += struct.pack("<f", c + (2 * u - 16777216) * (h / 16777216.0))
    return "0x40000000" + out.hex().upper()
print("fc.bias:", uniform(42, "fc.bias", 2, 0.0, 0.1))
print("fc.weight:", uniform(42, "fc.weight", 4, 0.0, math.sqrt(6 / 2)))
