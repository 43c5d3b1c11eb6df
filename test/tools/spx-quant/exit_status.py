"""exit_status.py STATUS CMD...: runs CMD, fails unless it exits with STATUS."""
import subprocess
import sys

r = subprocess.run(sys.argv[2:], capture_output=True)
if r.returncode != int(sys.argv[1]):
    sys.exit("%s exited with %d, not %s" % (sys.argv[2], r.returncode, sys.argv[1]))
