#!/usr/bin/env python3
"""No function in src/ longer than LIMIT lines (the body, braces excluded).

The code's style puts a function's opening and closing braces in column 0,
so a body is the lines between a "{" line and the next line starting "}".
Usage: function_length.py LIMIT DIR...
"""
import os
import re
import sys


def long_functions(path, limit):
    lines = open(path, errors="replace").read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if line == "{" and start is None:
            j = i - 1
            while j > 0 and "(" not in lines[j]:
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j])
            start = (i, m.group(1) if m else "?")
        elif line.startswith("}") and start is not None:
            body = i - start[0] - 1
            if body > limit:
                yield body, start[0] + 1, start[1]
            start = None


def main():
    limit = int(sys.argv[1])
    found = []
    for root in sys.argv[2:]:
        for dirpath, _, files in os.walk(root):
            for name in sorted(files):
                if name.endswith(".c"):
                    path = os.path.join(dirpath, name)
                    found += [(n, path, line, fn) for n, line, fn in long_functions(path, limit)]
    for n, path, line, fn in sorted(found, reverse=True):
        print("%s:%d: %s is %d lines (limit %d)" % (path, line, fn, n, limit))
    print("%d functions over %d lines" % (len(found), limit))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
