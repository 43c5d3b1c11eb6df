"""make DIR: a dense layer whose unit 1 has weights of 1e-12 and bias 3.0.
check DIR: the int32 bias is bounded and unit 1's output is still 3.0."""
import sys
import numpy as np

cmd, d = sys.argv[1], sys.argv[2]
if cmd == "make":
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.5, (4, 8)).astype(np.float32)
    w[1] = 1e-12
    b = np.array([0.1, 3.0, -0.2, 0.0], np.float32)
    np.save(f"{d}/w.npy", w)
    np.save(f"{d}/b.npy", b)
    np.save(f"{d}/x.npy", rng.uniform(-1, 1, (16, 8)).astype(np.float32))
    open(f"{d}/dead.spx", "w").write(
        'network dead {\n  input x : f32[1, 8]\n'
        '  fc = dense(x, weights="w.npy", bias="b.npy")\n  output fc\n}\n'
        'compile dead {\n  quantize int8 calibrate="x.npy"\n}\n')
else:
    qb = np.load(f"{d}/w/fc.qbias.npy").astype(np.int64)
    assert np.abs(qb).max() <= 2**30, qb
    print("max |bias| <= 2^30: ok")
    y = np.load(f"{d}/y.npy").reshape(16, 4)
    x = np.load(f"{d}/x.npy").astype(np.float64)
    ref = x @ np.load(f"{d}/w.npy").T.astype(np.float64) + np.load(f"{d}/b.npy")
    step = (ref.max() - min(ref.min(), 0)) / 255 * 1.01
    assert np.abs(y[:, 1] - 3.0).max() <= step, (y[:, 1], step)
    print("dead unit output 3.0 within one step: ok")
