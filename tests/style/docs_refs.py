#!/usr/bin/env python3
"""The docs name only what the tree has.

Usage: docs_refs.py REPO_ROOT

In README.md and docs/*.md:
- every repository path (src/..., include/..., tests/..., scripts/...,
  examples/..., bench/..., idf/...) exists (a * in it is a glob);
- every function named in inline code, `name()` or `ota_name`, is defined
  or declared somewhere in src/, include/, examples/, tests/, idf/ or
  CMakeLists.txt;
- nothing points into ../shared/docs/ (a user's clone has no such folder).
And every fuzz target of tests/fuzz/CMakeLists.txt (FUZZ_TARGETS) is named
in docs/fuzzing.md and run by scripts/fuzz-long.
Prints one line per broken reference; exit 1 if there is any.
"""
import glob
import os
import re
import sys

PATH_RE = re.compile(r"(?<![\w./-])((?:src|include|tests|scripts|examples|bench|idf)/[\w./*-]*[\w*])")
CODE_RE = re.compile(r"`([^`\n]+)`")
FUNC_RE = re.compile(r"^([A-Za-z_]\w*)\(\)$")
OTA_IDENT_RE = re.compile(r"^ota_[a-z0-9_]*[a-z0-9]$")
CODE_DIRS = ("src", "include", "examples", "tests", "idf")


def doc_files(root):
    return [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))


def prose_lines(path):
    """Lines outside code blocks (indented or fenced): the text a reader follows."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if fenced or line.startswith("    ") and not line.lstrip().startswith(("-", "`")):
                continue
            yield n, line


def code_identifiers(root):
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as f:
        words = set(re.findall(r"\b[A-Za-z_]\w*\b", f.read()))
    for d in CODE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            for name in names:
                if name.endswith((".c", ".h", ".sh", ".py", ".cmake", ".txt")):
                    with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as f:
                        words.update(re.findall(r"\b[A-Za-z_]\w*\b", f.read()))
    return words


def path_exists(root, ref):
    ref = ref.rstrip(".")
    return bool(glob.glob(os.path.join(root, ref))) if "*" in ref else os.path.exists(os.path.join(root, ref))


def fuzz_problems(root):
    with open(os.path.join(root, "tests", "fuzz", "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"set\(FUZZ_TARGETS([^)]*)\)", f.read())
    targets = m.group(1).split() if m else []
    if not targets:
        return ["tests/fuzz/CMakeLists.txt: no FUZZ_TARGETS"]
    with open(os.path.join(root, "docs", "fuzzing.md"), encoding="utf-8") as f:
        fuzzing = f.read()
    with open(os.path.join(root, "scripts", "fuzz-long"), encoding="utf-8") as f:
        long_run = f.read()
    out = [f"docs/fuzzing.md: fuzz target fuzz_{t} (FUZZ_TARGETS) not named"
           for t in targets if not re.search(rf"\bfuzz_{t}\b", fuzzing)]
    if "FUZZ_TARGETS" not in long_run:
        out += [f"scripts/fuzz-long: does not run fuzz_{t}" for t in targets if not re.search(rf"\b{t}\b", long_run)]
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    idents = code_identifiers(root)
    problems = []
    for doc in doc_files(root):
        rel = os.path.relpath(doc, root)
        for n, line in prose_lines(doc):
            for ref in PATH_RE.findall(line):
                if not path_exists(root, ref):
                    problems.append(f"{rel}:{n}: {ref}: no such path in the tree")
            for code in CODE_RE.findall(line):
                m = FUNC_RE.match(code)
                name = m.group(1) if m else code if OTA_IDENT_RE.match(code) else None
                if name and name not in idents:
                    problems.append(f"{rel}:{n}: {code}: no such function or name in the code")
            if "../shared/docs/" in line:
                problems.append(f"{rel}:{n}: ../shared/docs/...: not in a user's clone")
    problems += fuzz_problems(root)
    for p in problems:
        print(p)
    print(f"{len(problems)} broken reference(s) in {len(doc_files(root))} documents")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
