#!/usr/bin/env python3
"""Fails when the code's imports break the layering that Package.swift and the README declare.

Checks, for every target of Package.swift:
1. every `import M` in its Swift files names a module the target declares as a dependency (or a system
   module), so no target leans on transitive visibility;
2. the README's architecture table has a row for it (library and executable targets) whose "may import"
   column lists exactly its declared dependencies, so the table stays true.

Usage: tools/check-imports.py  (from anywhere; exit 1 with one line per violation)
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Modules every target may import: the standard library's and the platform's.
SYSTEM = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
    "Synchronization", "_Concurrency", "Testing", "XCTest", "os", "Android", "WinSDK",
}
# Products whose module name differs from the product name.
PRODUCT_MODULES = {}
IMPORT = re.compile(r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*(?:public\s+|package\s+|internal\s+)?import\s+"
                    r"(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def targets():
    out = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True, capture_output=True, text=True)
    package = json.loads(out.stdout)
    for t in package["targets"]:
        deps = []
        for d in t["dependencies"]:
            kind, value = next(iter(d.items()))
            name = value[0]
            deps.append(PRODUCT_MODULES.get(name, name))
        path = t.get("path") or os.path.join("Tests" if t["type"] == "test" else "Sources", t["name"])
        yield t["name"], t["type"], path, deps


def imports(path):
    found = {}
    for base, _, files in os.walk(os.path.join(ROOT, path)):
        for f in files:
            if not f.endswith(".swift"):
                continue
            file = os.path.join(base, f)
            with open(file, encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    m = IMPORT.match(line)
                    if m:
                        found.setdefault(m.group(1), f"{os.path.relpath(file, ROOT)}:{number}")
    return found


def readme_table():
    """target -> set of modules in the README architecture table's "may import" column."""
    rows = {}
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("## Architecture", 1)[1] if "## Architecture" in text else ""
    header = None
    for line in section.splitlines():
        if not line.startswith("|"):
            if header is not None and rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set(cells[0]) <= set("-: "):
            continue
        if "target" not in header or "may import" not in header:
            return None
        names = re.findall(r"`([^`]+)`", cells[header.index("target")])
        allowed = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", cells[header.index("may import")].replace("—", "")))
        for name in names:
            rows[name.split("/")[-1].split(" ")[0]] = allowed
    return rows


def main():
    problems = []
    table = readme_table()
    if table is None:
        problems.append("README.md: the architecture table needs 'target' and 'may import' columns")
        table = {}
    for name, kind, path, deps in targets():
        if kind == "system":
            continue
        allowed = set(deps) | SYSTEM | {name}
        for module, where in sorted(imports(path).items()):
            if module not in allowed:
                problems.append(f"{where}: {name} imports {module}, which Package.swift does not give it")
        if kind in ("regular", "executable"):
            if name not in table:
                problems.append(f"README.md: the architecture table has no row for target {name}")
            elif table[name] != set(deps):
                extra = sorted(table[name] - set(deps))
                missing = sorted(set(deps) - table[name])
                problems.append(f"README.md: row {name} 'may import' differs from Package.swift"
                                + (f"; not declared: {', '.join(extra)}" if extra else "")
                                + (f"; not in the table: {', '.join(missing)}" if missing else ""))
    for p in problems:
        print(p)
    if problems:
        print(f"check-imports: {len(problems)} problem(s)")
        return 1
    print("check-imports: every import is declared and the README table matches Package.swift")
    return 0


if __name__ == "__main__":
    sys.exit(main())
