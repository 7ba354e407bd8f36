"""``python -m mockservers.cli``: the ``mockservers`` command without its console script."""

from mockservers.cli import main

if __name__ == "__main__":  # not when a tool imports every module of the kit
    raise SystemExit(main())
