"""Make sure Debian's chromium is installed for the browser tests (Playwright cannot
download its own browsers on these machines). Run by ``make test`` before pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if shutil.which("chromium") or os.path.exists(CHROMIUM):
        return 0
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("browser tests: installing Debian's chromium …", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, check=False)
    result = subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "chromium"], env=env, check=False
    )
    if result.returncode != 0:
        print(
            "browser tests: could not install chromium; they will be reported as skipped",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
