"""binary_gamma0.py DIR: a binary dense whose batchnorm has gamma 0 in channel 2."""
import os
import sys

import numpy as np

d = sys.argv[1]
np.save(os.path.join(d, "g.npy"), np.array([1, -1, 0, 2], np.float32))
with open(os.path.join(d, "g0.spx"), "w") as f:
    f.write("""network g0 {
  input x : f32[1, 6]
  s = sign(x)
  d = dense(s, weights=random(seed=1), units=4)
  b = batchnorm(d, gamma="g.npy", beta=random(seed=2), mean=random(seed=3), var=random(seed=4))
  output b
}
compile g0 {
  quantize d : binary
}
""")
