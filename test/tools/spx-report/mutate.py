"""mutate.py DIR REPORT...: runs spx-report on 600 seeded mutations of the
reports (bytes flipped, inserted, deleted, truncated, structure repeated)
and fails on a crash (a signal, a sanitizer report), an exit status other
than 0 or 1, or an exit 1 whose message is not located ("FILE:LINE:COL:
error:") or a file error."""
import os
import random
import re
import subprocess
import sys

out, seeds = sys.argv[1], [open(p, "rb").read() for p in sys.argv[2:]]
rng = random.Random(20240603)
path = os.path.join(out, "mut.json")
located = re.compile(r"^%s:\d+:\d+: error: " % re.escape(path))
accepted = errors = 0
for i in range(600):
    d = bytearray(rng.choice(seeds))
    kind = i % 6
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            d[rng.randrange(len(d))] = rng.randrange(256)
    elif kind == 1:
        d = d[: rng.randrange(len(d))]
    elif kind == 2:
        at = rng.randrange(len(d))
        d[at:at] = bytes(rng.choice(b'{}[],:"\\0123456789-+.eEtruefalsn \n\x00\xc3\xff')
                         for _ in range(rng.randint(1, 6)))
    elif kind == 3:
        a = rng.randrange(len(d))
        del d[a: a + rng.randint(1, 40)]
    elif kind == 4:
        # a digit or a token swapped in a number's place
        m = list(re.finditer(rb"-?\d+(\.\d+)?", bytes(d)))
        if m:
            t = rng.choice(m)
            d[t.start():t.end()] = rng.choice([b"null", b"\"x\"", b"[]", b"{}", b"1e400", b"-0",
                                               b"true", b"0.5", b"-1"])
    else:
        a = rng.randrange(len(d))
        b = min(len(d), a + rng.randint(1, 200))
        d[b:b] = d[a:b]
    with open(path, "wb") as f:
        f.write(d)
    args = ["spx-report", "--format=" + ("text", "csv", "html")[i % 3], path]
    r = subprocess.run(args, capture_output=True)
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode == 0:
        accepted += 1
    elif r.returncode == 1 and (located.match(err) or err.startswith("spx-report: ")):
        errors += 1
    else:
        with open(os.path.join(out, "crash-%d.json" % i), "wb") as f:
            f.write(d)
        sys.exit("mutate: run %d (kept as crash-%d.json): exit %d: %s" % (i, i, r.returncode, err))
print("mutate: 600 runs, %d accepted, %d located errors, no crash" % (accepted, errors))
