#!/usr/bin/env python3
"""What the ESP-IDF component imposes on a firmware that takes it.

Usage: idf_component.py REPO_ROOT

- Kconfig's defaults are neutral: no example server, no data item (the seed
  example's values live in examples/esp-idf/seed/sdkconfig.defaults);
- Kconfig has the release settings (manifest URI, key digest, device id)
  and the port reads each one;
- -Werror on the component's sources only under OTA_WERROR (the ESP-IDF
  phase checks the compile lines of both builds for real).
Prints one line per problem; exit 1 if there is any.
"""
import os
import re
import sys

NEUTRAL = ("FIRMWARE_UPGRADE_URI", "DATA_UPGRADE_URI", "DATA_PARTITION_LABEL")
RELEASE = ("OTA_MANIFEST_URI", "OTA_MANIFEST_KEY_DIGEST", "OTA_RELEASE_DEVICE_ID")


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def kconfig_defaults(text):
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(r"\s*config\s+(\w+)", line)
        if m:
            name = m.group(1)
            continue
        m = re.match(r"\s*default\s+(.*)", line)
        if m and name and name not in out:
            out[name] = m.group(1).strip()
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    kconfig = read(root, "Kconfig")
    defaults = kconfig_defaults(kconfig)
    seed = read(root, "examples/esp-idf/seed/sdkconfig.defaults")
    port = read(root, "src/port/esp-idf/idf_config.c")
    warnings = read(root, "src/port/esp-idf/warnings.cmake")
    problems = []
    for key in NEUTRAL:
        if defaults.get(key) != '""':
            problems.append(f"Kconfig: {key} defaults to {defaults.get(key)}, not \"\" (a firmware's own value)")
        if not re.search(rf"^CONFIG_{key}=\"[^\"]+\"$", seed, re.M):
            problems.append(f"examples/esp-idf/seed/sdkconfig.defaults: no value for CONFIG_{key}")
    if re.search(r"\d+\.\d+\.\d+\.\d+", kconfig):
        problems.append("Kconfig: an IP address in a default or help text")
    for key in RELEASE:
        if key not in defaults:
            problems.append(f"Kconfig: no {key}")
        if f"CONFIG_{key}" not in port:
            problems.append(f"src/port/esp-idf/idf_config.c: CONFIG_{key} not read")
    body = re.sub(r"#.*", "", warnings)
    forced = [m.start() for m in re.finditer(r"-Werror", body)]
    guarded = re.search(r"if\(OTA_WERROR\)(.*?)(else\(\)|endif\(\))", body, re.S)
    if not guarded or any(not guarded.start(1) <= at < guarded.end(1) for at in forced):
        problems.append("src/port/esp-idf/warnings.cmake: -Werror outside if(OTA_WERROR)")
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
