"""Writes two copies of one network into DIR: long.spx, whose layer names are
hundreds of characters long and equal in their first 300, and short.spx, the
same network with short names; plus the weights both use and an input."""
import sys

import numpy as np

d = sys.argv[1]
rng = np.random.RandomState(7)
for k in range(2):
    np.save("%s/g%d.npy" % (d, k), rng.uniform(0.5, 2.0, 4).astype(np.float32))
    np.save("%s/b%d.npy" % (d, k), rng.uniform(-1.0, 1.0, 4).astype(np.float32))
    np.save("%s/w%d.npy" % (d, k), rng.uniform(-1.0, 1.0, (3, 4)).astype(np.float32))
np.save("%s/m.npy" % d, np.zeros(4, np.float32))
np.save("%s/v.npy" % d, np.ones(4, np.float32))
np.save("%s/x.npy" % d, rng.uniform(-1.0, 1.0, (2, 1, 4)).astype(np.float32))


def net(names):
    bn1, bn2, fc1, fc2 = names
    return "\n".join([
        "network n {",
        "  input x : f32[1, 4]",
        '  %s = batchnorm(x, gamma="g0.npy", beta="b0.npy", mean="m.npy", var="v.npy")' % bn1,
        '  %s = batchnorm(x, gamma="g1.npy", beta="b1.npy", mean="m.npy", var="v.npy")' % bn2,
        '  %s = dense(x, weights="w0.npy")' % fc1,
        '  %s = dense(x, weights="w1.npy", units=3)' % fc2,
        "  y = concat(%s, %s, axis=1)" % (bn1, bn2),
        "  z = concat(%s, %s, axis=1)" % (fc1, fc2),
        "  f = concat(y, z, axis=1)",
        "  output f",
        "}",
        ""])


long_prefix = "l" * 1500
open("%s/long.spx" % d, "w").write(
    net([long_prefix + "_bn1", long_prefix + "_bn2", long_prefix + "_fc1", long_prefix + "_fc2"]))
open("%s/short.spx" % d, "w").write(net(["bn1", "bn2", "fc1", "fc2"]))
