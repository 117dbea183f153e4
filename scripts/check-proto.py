#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks our LiveKit protobuf subset against upstream.

Compiles Sources/ParleyLiveKitProto/Protos/*.proto with protoc (--descriptor_set_out) and compares
every message, field, oneof and enum they declare with the descriptors of the livekit-protocol
Python package (modules livekit.protocol.models/.rtc/.agent), which scripts/install-test-peers puts
in .test-peers/venv. Run it with that venv's python:

    .test-peers/venv/bin/python scripts/check-proto.py [-v]

A field or enum we declare must match upstream exactly: name, number, type, type name, label,
proto3 `optional`, oneof membership (by oneof name), json name and `deprecated`. Every enum we
declare must list all of upstream's values. Messages, fields and oneof cases we leave out are
allowed (swift-protobuf keeps them as unknown fields); -v lists them. Exit status 1 names each
mismatch; 2 means protoc or the livekit-protocol package is missing.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_DIR = os.path.join(ROOT, "Sources", "ParleyLiveKitProto", "Protos")
# our file -> upstream module whose DESCRIPTOR is that file
FILES = {
    "livekit_models.proto": "livekit.protocol.models",
    "livekit_rtc.proto": "livekit.protocol.rtc",
    "livekit_agent.proto": "livekit.protocol.agent",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="also list what the subset leaves out")
    args = ap.parse_args()

    try:
        import importlib

        from google.protobuf import descriptor_pb2 as D
    except ImportError as e:  # pragma: no cover
        print(f"check-proto: cannot import protobuf ({e}); use .test-peers/venv/bin/python", file=sys.stderr)
        return 2

    protoc = os.environ.get("PROTOC") or shutil.which("protoc")
    if not protoc:
        print("check-proto: protoc not found (apt-get install protobuf-compiler)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "subset.pb")
        cmd = [protoc, f"--proto_path={PROTO_DIR}", f"--descriptor_set_out={out}", "--include_imports"]
        cmd += [os.path.join(PROTO_DIR, f) for f in FILES]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"check-proto: protoc failed:\n{r.stderr}", file=sys.stderr)
            return 1
        ours_set = D.FileDescriptorSet()
        with open(out, "rb") as fh:
            ours_set.ParseFromString(fh.read())
    ours = {f.name: f for f in ours_set.file}

    FD = D.FieldDescriptorProto
    type_names = {v: k for k, v in FD.Type.items()}
    label_names = {v: k for k, v in FD.Label.items()}
    errors: list[str] = []
    omitted: list[str] = []
    counts = {"messages": 0, "fields": 0, "enums": 0, "values": 0}

    def err(msg: str) -> None:
        errors.append(msg)

    def check_enum(path: str, mine, theirs) -> None:
        counts["enums"] += 1
        if mine.options.deprecated != theirs.options.deprecated:
            err(f"enum {path}: deprecated={mine.options.deprecated}, upstream {theirs.options.deprecated}")
        up = {v.name: v.number for v in theirs.value}
        seen = set()
        for v in mine.value:
            counts["values"] += 1
            seen.add(v.name)
            if v.name not in up:
                err(f"enum {path}: value {v.name} = {v.number} does not exist upstream")
            elif up[v.name] != v.number:
                err(f"enum {path}: value {v.name} = {v.number}, upstream = {up[v.name]}")
        for name, num in up.items():
            if name not in seen:
                err(f"enum {path}: missing value {name} = {num} (enums must be complete)")

    def describe(f, msg) -> dict:
        oneof = None
        if f.HasField("oneof_index") and not f.proto3_optional:
            oneof = msg.oneof_decl[f.oneof_index].name
        return {
            "number": f.number,
            "type": type_names[f.type],
            "type_name": f.type_name,
            "label": label_names[f.label],
            "proto3_optional": f.proto3_optional,
            "oneof": oneof,
            "json_name": f.json_name or None,
            "deprecated": f.options.deprecated,
        }

    def check_message(path: str, mine, theirs) -> None:
        counts["messages"] += 1
        if mine.options.deprecated != theirs.options.deprecated:
            err(f"message {path}: deprecated={mine.options.deprecated}, upstream {theirs.options.deprecated}")
        if mine.options.map_entry != theirs.options.map_entry:
            err(f"message {path}: map_entry={mine.options.map_entry}, upstream {theirs.options.map_entry}")
        up_fields = {f.name: f for f in theirs.field}
        up_by_number = {f.number: f for f in theirs.field}
        for f in mine.field:
            counts["fields"] += 1
            fp = f"{path}.{f.name}"
            u = up_fields.get(f.name)
            if u is None:
                clash = up_by_number.get(f.number)
                extra = f" (upstream number {f.number} is '{clash.name}')" if clash else ""
                err(f"field {fp} = {f.number}: no such field upstream{extra}")
                continue
            a, b = describe(f, mine), describe(u, theirs)
            if a["json_name"] is None or b["json_name"] is None:
                a["json_name"] = b["json_name"] = None
            for key in a:
                if a[key] != b[key]:
                    err(f"field {fp}: {key} is {a[key]!r}, upstream {b[key]!r}")
        mine_names = {f.name for f in mine.field}
        for u in theirs.field:
            if u.name not in mine_names:
                omitted.append(f"field {path}.{u.name} = {u.number}")
        up_nested = {m.name: m for m in theirs.nested_type}
        for n in mine.nested_type:
            if n.name not in up_nested:
                err(f"message {path}.{n.name}: does not exist upstream")
            else:
                check_message(f"{path}.{n.name}", n, up_nested[n.name])
        mine_nested = {n.name for n in mine.nested_type}
        for n in theirs.nested_type:
            if n.name not in mine_nested and not n.options.map_entry:
                omitted.append(f"message {path}.{n.name}")
        up_enums = {e.name: e for e in theirs.enum_type}
        for e in mine.enum_type:
            if e.name not in up_enums:
                err(f"enum {path}.{e.name}: does not exist upstream")
            else:
                check_enum(f"{path}.{e.name}", e, up_enums[e.name])
        mine_enums = {e.name for e in mine.enum_type}
        for e in theirs.enum_type:
            if e.name not in mine_enums:
                omitted.append(f"enum {path}.{e.name}")

    for fname, modname in FILES.items():
        mod = importlib.import_module(modname)
        theirs = D.FileDescriptorProto()
        mod.DESCRIPTOR.CopyToProto(theirs)
        mine = ours.get(fname)
        if mine is None:
            err(f"{fname}: not compiled")
            continue
        if theirs.name != fname:
            err(f"{fname}: upstream module {modname} describes {theirs.name}")
        if mine.package != theirs.package:
            err(f"{fname}: package {mine.package!r}, upstream {theirs.package!r}")
        if (mine.syntax or "proto2") != (theirs.syntax or "proto2"):
            err(f"{fname}: syntax {mine.syntax!r}, upstream {theirs.syntax!r}")
        for dep in mine.dependency:
            if dep not in theirs.dependency:
                err(f"{fname}: imports {dep}, which upstream does not")
        prefix = f"{mine.package}." if mine.package else ""
        up_msgs = {m.name: m for m in theirs.message_type}
        for m in mine.message_type:
            if m.name not in up_msgs:
                # a message defined in another upstream file would change its full name's home
                err(f"message {prefix}{m.name}: not in upstream {fname}")
            else:
                check_message(prefix + m.name, m, up_msgs[m.name])
        up_enums = {e.name: e for e in theirs.enum_type}
        for e in mine.enum_type:
            if e.name not in up_enums:
                err(f"enum {prefix}{e.name}: not in upstream {fname}")
            else:
                check_enum(prefix + e.name, e, up_enums[e.name])
        mine_top = {m.name for m in mine.message_type} | {e.name for e in mine.enum_type}
        for m in theirs.message_type:
            if m.name not in mine_top:
                omitted.append(f"message {prefix}{m.name} ({fname})")
        for e in theirs.enum_type:
            if e.name not in mine_top:
                omitted.append(f"enum {prefix}{e.name} ({fname})")

    try:
        from livekit.protocol.version import __version__ as lk_version
    except ImportError:  # pragma: no cover
        lk_version = "?"
    if args.verbose:
        for o in omitted:
            print(f"  omitted: {o}")
    summary = (f"{counts['messages']} messages, {counts['fields']} fields, {counts['enums']} enums "
               f"({counts['values']} values) against livekit-protocol {lk_version}; "
               f"{len(omitted)} upstream items left out")
    if errors:
        for e in errors:
            print(f"MISMATCH: {e}", file=sys.stderr)
        print(f"check-proto: {len(errors)} mismatch(es); checked {summary}", file=sys.stderr)
        return 1
    print(f"check-proto: OK, checked {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
