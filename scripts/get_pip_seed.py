"""Offline stand-in for the get-pip.py that `ansible-test` downloads.

ansible-test creates one virtualenv per sanity test (under ~/.ansible/test/venv)
without pip, then bootstraps pip by running a get-pip script that it fetches
from a host that is not reachable here. scripts/sanity.sh copies this file into
ansible-test's cache (~/.ansible/test/cache/get_pip_<version>.py), where
ansible-test looks first. It does what get-pip does with the same arguments:
install pip (from the Python's own ensurepip, offline), then `pip install` the
requested versions, which come from the package index like every other
requirement ansible-test installs into that virtualenv.
"""

import subprocess
import sys

# In a child process: ensurepip sets PIP_CONFIG_FILE=/dev/null in its own
# environment, which would hide the machine's pip configuration from the
# install below.
subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=True)
