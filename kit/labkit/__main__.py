"""``python -m labkit check [PATH]``: run a lab notebook's public checks (see ``labkit.selfcheck``)."""

import sys

from labkit.selfcheck import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "check":
        print(
            "usage: python -m labkit check [PATH] [--no-sandbox] [--json F] [--markdown F] [--fail-under X]"
        )
        sys.exit(2)
    sys.exit(main(args[1:]))
