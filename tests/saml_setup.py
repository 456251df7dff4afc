"""Make sure the ``xmlsec1`` program is installed for the SAML tests that run pysaml2 as an SP on
its stock crypto backend (a subprocess per signature; Debian package xmlsec1). The hub itself
never needs it (it signs in-process). Run by ``make test`` before pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def main() -> int:
    if shutil.which("xmlsec1"):
        return 0
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("SAML tests: installing xmlsec1 for pysaml2's stock backend …", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, check=False)
    result = subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "xmlsec1"], env=env, check=False
    )
    if result.returncode != 0 or not shutil.which("xmlsec1"):
        print(
            "SAML tests: could not install xmlsec1; the pysaml2 stock-backend tests will be "
            "reported as skipped",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
