#!/usr/bin/python3
"""Runs ONNX's backend node tests (generated from Debian's python3-onnx) through
spxc and spx-run on the cpu target in f32, and compares with the expected
outputs.

usage: node_tests.py PATH/TO/spxc WORK_DIR [--list FILE.md]

For every node test whose ops are all ones spxc imports (SUPPORTED):
  - graph inputs that feed a parameter slot (Conv W/B, Gemm B/C, MatMul B,
    BatchNormalization scale/B/mean/var, Clip min/max, Reshape shape, Dropout
    ratio/training_mode, Gather indices, Unsqueeze/Squeeze axes, Slice
    starts/ends/axes/steps) become initializers holding the test's own input
    values: spx layers take constant weights;
  - the remaining (activation) inputs are fed to spx-run, one --input each in
    the graph's order; when the model treats the rows of dim 0 independently
    and every activation input has the same N rows, that dimension is made
    symbolic and the N rows are fed as N samples (spx models are batch 1);
  - spxc compiles the model (cpu target, f32: the default), spx-run runs it,
    writing each output (one --output each), and every output must match its
    output_K.pb within RTOL/ATOL.
Results: passed; failed (wrong values, or spxc/spx-run crashed or failed on a
model it accepted); rejected (spxc refused the model with a located error: an
attribute combination outside the supported set, reason listed); out of scope
(an op spxc does not import, no activation input, non-float data).
Prints one summary line; exit status 0 unless a test failed.
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# python3-onnx 1.12's test generator uses aliases numpy 1.24 removed.
for _n, _t in (("float", float), ("int", int), ("bool", bool), ("object", object)):
    if not hasattr(np, _n):
        setattr(np, _n, _t)

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5

SUPPORTED = {"Conv", "Gemm", "MatMul", "Relu", "Clip", "Constant", "Sigmoid", "MaxPool",
             "AveragePool", "GlobalAveragePool", "Add", "Concat", "Flatten", "Reshape",
             "Softmax", "BatchNormalization", "Identity", "Dropout",
             "Shape", "Gather", "Unsqueeze", "Squeeze", "Slice", "Cast"}
PARAM_SLOTS = {"Conv": {1, 2}, "Gemm": {1, 2}, "MatMul": {1}, "BatchNormalization": {1, 2, 3, 4},
               "Clip": {1, 2}, "Reshape": {1}, "Dropout": {1, 2}, "Gather": {1},
               "Unsqueeze": {1}, "Squeeze": {1}, "Slice": {1, 2, 3, 4}}


def opset(model):
    return max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [0])


def per_sample(node, rank, version, consts):
    """Whether the node computes each row of dim 0 on its own (consts: the
    initializers by name)."""
    a = {x.name: onnx.helper.get_attribute_value(x) for x in node.attribute}
    if node.op_type in ("Reshape",):
        return False
    if node.op_type == "Gemm":  # transA: rows of dim 0 are K, not samples
        return not a.get("transA", 0)
    if node.op_type in ("Unsqueeze", "Squeeze"):  # axes: the attribute, or a constant input
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1] in consts:
            axes = [int(v) for v in consts[node.input[1]].ravel()]
        return axes is not None and all(x % (rank + (len(axes) if node.op_type == "Unsqueeze" else 0)) != 0
                                        for x in axes)
    if node.op_type == "Flatten":
        return a.get("axis", 1) in (1, 1 - rank)
    if node.op_type in ("Concat", "Softmax"):
        axis = a.get("axis", 1 if node.op_type == "Softmax" and version < 13 else -1)
        return axis % rank != 0
    return True


def generate(out):
    from onnx.backend.test import cmd_tools
    argv = sys.argv
    sys.argv = ["cmd_tools", "generate-data", "-o", out]
    try:
        cmd_tools.main()
    finally:
        sys.argv = argv


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def prepare(d, work):
    """Returns (model path, inputs, expected outputs, samples) or a reason string."""
    model = onnx.load(os.path.join(d, "model.onnx"))
    g = model.graph
    ops = sorted({n.op_type for n in g.node} - SUPPORTED)
    if ops:
        return "op " + ", ".join(ops) + " not imported"
    ds = os.path.join(d, "test_data_set_0")
    inputs = [read_pb(os.path.join(ds, "input_%d.pb" % i)) for i in range(len(g.input))]
    outputs = [read_pb(os.path.join(ds, "output_%d.pb" % i)) for i in range(len(g.output))]
    params = set()
    for n in g.node:
        for k, name in enumerate(n.input):
            if k in PARAM_SLOTS.get(n.op_type, ()):
                params.add(name)
    act = []
    for i, vi in enumerate(list(g.input)):
        if vi.name in params:
            g.initializer.append(numpy_helper.from_array(inputs[i], vi.name))
        else:
            act.append(i)
    keep = [vi for vi in g.input if vi.name not in params]
    del g.input[:]
    g.input.extend(keep)
    if not act:
        return "no activation input (spx-run feeds samples of the inputs)"
    xs = [inputs[i] for i in act]
    if any(x.dtype != np.float32 for x in xs) or any(o.dtype != np.float32 for o in outputs):
        return "non-float32 data"
    if any(x.ndim == 0 or x.size == 0 for x in xs):
        return "a scalar or empty input"
    # Rows of a batch are fed as samples only where the model treats them
    # independently (and every input has them); otherwise the batch stays
    # (spxc takes batch 1 only).
    samples = 1
    x = xs[0]
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    if (x.shape[0] != 1 and all(v.ndim == x.ndim and v.shape[0] == x.shape[0] for v in xs) and
            all(per_sample(n, x.ndim, opset(model), consts) for n in g.node)):
        for vi in g.input:
            dim0 = vi.type.tensor_type.shape.dim[0]
            dim0.ClearField("dim_value")
            dim0.dim_param = "N"
        samples = x.shape[0]
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    return path, xs, outputs, samples


def run_one(bin_dir, d, work):
    name = os.path.basename(d)
    try:
        prep = prepare(d, work)
    except Exception as e:  # an unreadable test is out of scope, with why
        return name, "scope", "the test does not load (%s)" % e
    if isinstance(prep, str):
        return name, "scope", prep
    path, xs, wants, n = prep
    run = [os.path.join(bin_dir, "spx-run"), os.path.join(work, "model.spxbin")]
    for k, x in enumerate(xs):
        np.save(os.path.join(work, "x%d.npy" % k), x.reshape(n, -1).astype(np.float32))
        run += ["--input", os.path.join(work, "x%d.npy" % k)]
    for k in range(len(wants)):
        run += ["--output", os.path.join(work, "y%d.npy" % k)]
    c = subprocess.run([os.path.join(bin_dir, "spxc"), path, "--emit=spxbin", "-o", work],
                       capture_output=True, text=True)
    if c.returncode == 1 and "error:" in c.stderr:
        first = next(l for l in c.stderr.splitlines() if "error:" in l)
        return name, "rejected", first.split("error: ", 1)[1]
    if c.returncode != 0:
        return name, "failed", "spxc exited %d: %s" % (c.returncode, c.stderr[-300:])
    r = subprocess.run(run, capture_output=True, text=True)
    if r.returncode != 0:
        return name, "failed", "spx-run exited %d: %s" % (r.returncode, r.stderr[-300:])
    for k, want in enumerate(wants):
        got = np.load(os.path.join(work, "y%d.npy" % k))
        if got.size != want.size:
            return name, "failed", "output %d has %d values, expected %d" % (k, got.size, want.size)
        got = got.reshape(want.shape)
        if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            err = float(np.max(np.abs(got - want)))
            return name, "failed", "output %d: max abs error %g" % (k, err)
    return name, "passed", ""


def main():
    bin_dir, work = os.path.dirname(os.path.abspath(sys.argv[1])), sys.argv[2]
    list_file = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--list" else None
    gen = os.path.join(work, "generated")
    generate(gen)
    node_dir = os.path.join(gen, "node")
    tests = sorted(os.listdir(node_dir))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda t: run_one(bin_dir, os.path.join(node_dir, t),
                                                  os.path.join(work, "run", t)), tests))
    counts = {k: 0 for k in ("passed", "failed", "rejected", "scope")}
    for name, status, why in results:
        counts[status] += 1
        if status == "failed":
            print("FAILED %s: %s" % (name, why))
    if list_file:
        with open(list_file, "w") as f:
            for status, title in (("passed", "Passed"), ("rejected", "Rejected by spxc, with the reason it gives"),
                                  ("failed", "Failed")):
                rows = [(n, w) for n, s, w in results if s == status]
                f.write("### %s (%d)\n\n" % (title, len(rows)))
                for n, w in rows:
                    f.write("- `%s`%s\n" % (n, (": " + w) if w else ""))
                f.write("\n")
            rows = [(n, w) for n, s, w in results if s == "scope" and not w.startswith("op ")]
            f.write("### Supported ops only, but out of scope for this runner (%d)\n\n" % len(rows))
            for n, w in rows:
                f.write("- `%s`: %s\n" % (n, w))
            f.write("\n%d more tests use ops spxc does not import.\n" %
                    sum(1 for _, s, w in results if s == "scope" and w.startswith("op ")))
    print("onnx node tests: %d passed, %d failed, %d rejected with a reason, %d out of scope "
          "(of %d)" % (counts["passed"], counts["failed"], counts["rejected"], counts["scope"],
                       len(results)))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
