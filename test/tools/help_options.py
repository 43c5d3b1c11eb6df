"""help_options.py SOURCE.c TOOL [ARGS...]: every long option of the tool's
getopt_long table (`{"name", no_argument|required_argument, ...}` in
SOURCE.c) appears as --name in TOOL --help's text; every short option of
the table's entries with a letter (`..., 'o'}`) as -o."""
import re
import subprocess
import sys

src = open(sys.argv[1]).read()
entries = re.findall(r'\{"([a-z0-9-]+)",\s*(?:no|required|optional)_argument,\s*NULL,\s*([^}]+)\}', src)
if not entries:
    sys.exit("no getopt_long table in %s" % sys.argv[1])
text = subprocess.run(sys.argv[2:] + ["--help"], capture_output=True, text=True, check=True).stdout
missing = []
for name, val in entries:
    if not re.search(r"(^|[^a-z0-9-])--%s([^a-z0-9-]|$)" % re.escape(name), text):
        missing.append("--" + name)
    letter = re.fullmatch(r"\s*'(.)'\s*", val)
    # a letter that getopt's short-option string accepts is a short option
    optstring = re.search(r'getopt_long\([^"]*"([^"]*)"', src).group(1)
    if (letter and letter.group(1) in optstring and
            not re.search(r"(^|[\s,\[(])-%s([\s,=\])]|$)" % re.escape(letter.group(1)), text, re.M)):
        missing.append("-" + letter.group(1))
for m in missing:
    print("MISSING from --help:", m)
print("%s: %d long options, %s" % (sys.argv[2].rsplit("/", 1)[-1], len(entries),
                                   "all in --help" if not missing else "%d missing" % len(missing)))
sys.exit(1 if missing else 0)
