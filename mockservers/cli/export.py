"""``mockservers contracts export``: the contracts written out for other tools."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from mockservers.cli.startup import fail


def export_contracts(args: argparse.Namespace) -> int:
    """Every schema file, and each vendor's and the admin API's OpenAPI document (bundled:
    each works alone)."""
    import contracts

    target = Path(args.dir)
    try:
        for name in contracts.schema_names():
            destination = target / f"{name}.json"
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(contracts.CONTRACTS_DIR / f"{name}.json", destination)
        for name in contracts.documents():
            document = contracts.openapi(name)
            path = target / name / "openapi.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
            print(f"{name}: {path}")
    except OSError as exc:  # a file where the folder goes, no room, no right to write
        return fail(f"cannot write the contracts into {target}: {exc}")
    return 0
