"""Make sure the PDFs' Unicode font is there (Debian package ``fonts-dejavu-core``).

Run by ``make run`` and ``make test`` (``python -m services.kit.fonts_setup``); a production
image installs the package itself. Never fails: without the font the PDFs fall back to the core
fonts with a warning (services/kit/fonts.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from services.kit.fonts import BOLD, DEBIAN_PACKAGE, ENV, REGULAR, unicode_font


def main() -> int:
    if unicode_font() is not None:
        return 0
    if os.environ.get(ENV):
        print(f"PDF font: put {REGULAR} and {BOLD} into {os.environ[ENV]} ({ENV})", file=sys.stderr)
        return 0
    apt = shutil.which("apt-get")
    if apt is None:
        print(f"PDF font: no apt-get here; install DejaVu Sans ({DEBIAN_PACKAGE})", file=sys.stderr)
        return 0
    sudo = [] if os.geteuid() == 0 else [shutil.which("sudo")]
    if None in sudo:
        print(f"PDF font: please install {DEBIAN_PACKAGE} (apt-get, as root)", file=sys.stderr)
        return 0
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"PDF font: installing Debian's {DEBIAN_PACKAGE} …", flush=True)
    prefix = [str(p) for p in sudo] + [apt]
    subprocess.run([*prefix, "update", "-qq"], env=env, check=False)  # noqa: S603
    subprocess.run([*prefix, "install", "-y", "-qq", DEBIAN_PACKAGE], env=env, check=False)  # noqa: S603
    return 0


if __name__ == "__main__":
    sys.exit(main())
