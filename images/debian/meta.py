#!/usr/bin/env python3
"""Reads the image.yaml of Debian images (images/debian/NAME/image.yaml).

  meta.py check YAML                 validates it (exit 1 with a message)
  meta.py users YAML                 prints the shell commands that create its users
  meta.py json YAML NAME RECIPE      prints its image.json (IMAGES-CONTRACT.md)
  meta.py catalogue DIR              prints the catalogue (Markdown) of every
                                     DIR/*/image.yaml, in name order

The format (images/README.md, "Debian images"):
  title: text
  memory: 512M                       (M or G)
  vcpus: 1
  consoles: [serial] or [serial, graphical]
  users: [{name, password, sudo: bool, title}]
  services: [{name, about, ports: [N/tcp|udp], logs: [path]}]
                                     (name: the systemd unit, checked active
                                     by tests/e2e/test_debian_images.sh)
  commands: [text]
"""
import json
import os
import re
import shlex
import sys

import yaml

# Boot flags of every Debian image. quiet: the kernel's messages on the
# emulated serial port cost boot time under TCG; mitigations=off: the CPU
# bug work-arounds (page-table isolation above all) make every system call of
# an emulated CPU slower, and a range guest has nothing to protect from them.
CMDLINE = "root=/dev/vda rw net.ifnames=0 quiet mitigations=off"


class Bad(Exception):
    pass


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise Bad(f"{path}: {e}")
    if not isinstance(doc, dict):
        raise Bad(f"{path}: not a mapping")

    def need(key, kind):
        if not isinstance(doc.get(key), kind):
            raise Bad(f"{path}: '{key}' missing or not a {kind.__name__}")
        return doc[key]

    need("title", str)
    m = re.fullmatch(r"([0-9]+)([MG])", str(doc.get("memory", "")))
    if not m:
        raise Bad(f"{path}: 'memory' must be like 512M or 2G")
    doc["memory_mib"] = int(m.group(1)) * (1024 if m.group(2) == "G" else 1)
    if not isinstance(doc.get("vcpus"), int) or doc["vcpus"] < 1:
        raise Bad(f"{path}: 'vcpus' must be a positive integer")
    consoles = need("consoles", list)
    if "serial" not in consoles or not set(consoles) <= {"serial", "graphical"}:
        raise Bad(f"{path}: 'consoles' must hold serial and may hold graphical")
    for u in need("users", list):
        if not isinstance(u, dict) or not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", str(u.get("name", ""))):
            raise Bad(f"{path}: a user needs a name (lower case letters, digits, _ or -)")
        if not isinstance(u.get("password"), str) or not u["password"] or ":" in u["password"] or "\n" in u["password"]:
            raise Bad(f"{path}: user {u['name']}: 'password' missing or holds ':' or a newline")
        if not isinstance(u.get("sudo", False), bool):
            raise Bad(f"{path}: user {u['name']}: 'sudo' must be true or false")
    if not any(u.get("sudo") for u in doc["users"]):
        raise Bad(f"{path}: no user has sudo: root is reached only through sudo")
    for s in need("services", list):
        if not isinstance(s, dict) or not re.fullmatch(r"[A-Za-z0-9@_.-]+", str(s.get("name", ""))):
            raise Bad(f"{path}: a service needs a name: its systemd unit")
        for p in s.get("ports", []):
            if not re.fullmatch(r"[0-9]+/(tcp|udp)", str(p)):
                raise Bad(f"{path}: service {s['name']}: bad port '{p}' (N/tcp or N/udp)")
    need("commands", list)
    return doc


def users(doc):
    # Through enshu-user (base/rootfs), as a scenario changes them later: the
    # hooks of the image (Samba's passwords, a mail client's account) follow.
    out = ["set -e"]
    for u in doc["users"]:
        flags = " --sudo" if u.get("sudo") else ""
        out.append(f"printf '%s\\n' {shlex.quote(u['password'])} | "
                   f"/usr/local/sbin/enshu-user set {u['name']}{flags} --title {shlex.quote(u.get('title', ''))}")
    return "\n".join(out) + "\n"


def image_json(doc, name, recipe):
    return json.dumps({
        "name": name,
        "origin": "built",
        "os": "linux",
        "exec": "sh",
        "boot": "kernel",
        "cmdline": CMDLINE,
        "addressing": "cmdline",
        "consoles": doc["consoles"],
        "memory_mib": doc["memory_mib"],
        "vcpus": doc["vcpus"],
        "disk": "disk.qcow2",
        "sha256": recipe,
        "recipe": recipe,
    }, indent=2) + "\n"


def catalogue(top):
    names = sorted(d for d in os.listdir(top) if os.path.isfile(os.path.join(top, d, "image.yaml")))
    out = []
    for name in names:
        doc = load(os.path.join(top, name, "image.yaml"))
        consoles = ", ".join(doc["consoles"])
        out.append(f"### `{name}`: {doc['title']}\n")
        out.append(f"{doc['memory']} memory, {doc['vcpus']} vCPU, consoles: {consoles}.\n")
        out.append("| User | Password | sudo | Title |")
        out.append("|---|---|---|---|")
        for u in doc["users"]:
            out.append(f"| `{u['name']}` | `{u['password']}` | {'yes' if u.get('sudo') else 'no'} | {u.get('title', '')} |")
        out.append("")
        out.append("| Service | Ports | Logs |")
        out.append("|---|---|---|")
        for s in doc["services"]:
            ports = ", ".join(s.get("ports", [])) or "none"
            logs = ", ".join(f"`{p}`" for p in s.get("logs", [])) or "none"
            about = f": {s['about']}" if s.get("about") else ""
            out.append(f"| `{s['name']}`{about} | {ports} | {logs} |")
        out.append("")
        if doc["commands"]:
            out.append("Commands: " + ", ".join(f"`{c}`" for c in doc["commands"]) + ".")
            out.append("")
    return "\n".join(out)


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "check":
            load(argv[2])
        elif len(argv) == 3 and argv[1] == "users":
            sys.stdout.write(users(load(argv[2])))
        elif len(argv) == 5 and argv[1] == "json":
            sys.stdout.write(image_json(load(argv[2]), argv[3], argv[4]))
        elif len(argv) == 3 and argv[1] == "catalogue":
            sys.stdout.write(catalogue(argv[2]))
        else:
            sys.stderr.write(__doc__)
            return 2
    except Bad as e:
        sys.stderr.write(f"images/debian/meta.py: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
