#!/usr/bin/env python3
"""Schema tests for tokenplan (CTest runs them; needs python3-jsonschema, Debian's 4.10 or later).

  check_schemas.py ROOT configs LOAD_FILE
      every schema is a valid draft 2020-12 schema; every shipped config under ROOT/configs is
      valid against the schema of its folder and loads with the real loader (LOAD_FILE is the
      tokenplan_load_file test tool); the output schemas share their common definitions verbatim.
  check_schemas.py ROOT corpus LOAD_FILE
      every case of tests/corpus/manifest.json: the schema and the loader give the same verdict,
      and for a bad file the loader's message names the file, the JSON path and the expected
      text, and a schema error sits at that path or above it. A case marked "syntax" is not JSON
      (NaN, Infinity and numbers beyond a double included): Python's parser refuses it too and
      the loader names line and column. A case with "loader_check" (one of the schema's
      x-loader-checks) is valid to the schema and refused by the loader alone.
  check_schemas.py ROOT mutations LOAD_FILE [COUNT [SEED]]
      COUNT random one-step mutations of the shipped configs (a key deleted, a key added, a value
      replaced by another type or number): whenever the schema rejects one, the loader must too.
      (The converse fails only on the checks a schema lists under x-loader-checks.)
  check_schemas.py ROOT output SCHEMA [--jsonl | --csv] -- COMMAND...
      runs COMMAND (exit status 0 expected) and validates its stdout: one JSON document, JSON
      Lines (one document per line), or CSV whose header is the schema's property order.
"""
import csv
import io
import json
import random
import re
import shutil
import os
import subprocess
import sys
import tempfile

import jsonschema

VALIDATOR = jsonschema.Draft202012Validator

# Folder (or file) under configs/ -> schema name (configs/schema/<name>.schema.json).
CONFIG_KINDS = {
    "gpus": "gpu",
    "models": "model",
    "workloads": "workload",
    "clusters": "cluster",
    "demands": "demand",
    "grids": "grid",
    "sweeps": "matrix",
    "validation": "validation-point",
    "calibration.json": "calibration",
}
OUTPUT_SCHEMAS = ["plan", "fleet-plan", "capacity", "explain", "validate-report", "list"]

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def load_schema(root, name):
    with open(os.path.join(root, "configs", "schema", name + ".schema.json"), encoding="utf-8") as f:
        return json.load(f)


def json_path(parts):
    """$.a.b[0]["odd key"], as the loaders write paths (host/io/json_reader.cpp child_path)."""
    s = "$"
    for p in parts:
        if isinstance(p, int):
            s += "[%d]" % p
        elif re.fullmatch(r"[A-Za-z0-9_]+", p):
            s += "." + p
        else:
            s += '["%s"]' % p
    return s


def strict_json(text):
    """json.loads as the loaders parse: NaN, Infinity and -Infinity are not JSON."""
    def reject(name):
        raise ValueError("%s is not a JSON value" % name)

    def finite(number):
        x = float(number)
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError("number %s is beyond the range of a double" % number)
        return x
    return json.loads(text, parse_constant=reject, parse_float=finite)


def documents(path, kind):
    """(label, document) pairs of a file: one per line for JSON Lines kinds."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if kind == "validation-point":
        return [("%s:%d" % (path, i + 1), strict_json(line)) for i, line in enumerate(text.splitlines()) if line.strip()]
    return [(path, strict_json(text))]


def schema_errors(schema, doc):
    return sorted(VALIDATOR(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))


class Loader:
    """The loader's verdicts from one tokenplan_load_file --each process: under the sanitizers,
    starting a process per file costs more than loading it."""

    def __init__(self, load_file):
        self.p = subprocess.Popen([load_file, "--each"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def __call__(self, kind, path):
        if "\n" in path or "\t" in kind:
            raise ValueError("a path with a newline or a kind with a tab cannot be asked: %r" % path)
        self.p.stdin.write(("%s\t%s\n" % (kind, path)).encode("utf-8"))
        self.p.stdin.flush()
        head = self.p.stdout.readline().split()
        if len(head) != 2:
            raise RuntimeError("tokenplan_load_file --each stopped (exit %s) on %s" % (self.p.wait(timeout=30), path))
        raw = self.p.stdout.read(int(head[1]))
        if len(raw) != int(head[1]):
            raise RuntimeError("tokenplan_load_file --each stopped mid-answer (exit %s) on %s" % (self.p.wait(timeout=30), path))
        return int(head[0]), raw.decode("utf-8", "replace").strip()

    def close(self):
        self.p.stdin.close()
        rc = self.p.wait()
        if rc != 0:
            fail("tokenplan_load_file --each exited %d" % rc)


def cmd_configs(root, load_file):
    schema_dir = os.path.join(root, "configs", "schema")
    schemas = {}
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".schema.json"):
            fail("configs/schema/%s: not a *.schema.json file" % name)
            continue
        kind = name[: -len(".schema.json")]
        with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
            s = json.load(f)
        try:
            VALIDATOR.check_schema(s)
        except jsonschema.exceptions.SchemaError as e:
            fail("%s is not a valid draft 2020-12 schema: %s" % (name, e.message))
        if not s.get("$id", "").startswith("urn:tokenplan:schema:%s:" % kind):
            fail("%s: $id should be urn:tokenplan:schema:%s:<version>, found %r" % (name, kind, s.get("$id")))
        schemas[kind] = s
    for kind in set(CONFIG_KINDS.values()) | set(OUTPUT_SCHEMAS) | {"sweep-row"}:
        if kind not in schemas:
            fail("configs/schema/%s.schema.json is missing" % kind)
    # Output documents carry schema_version; the schema pins it, and its $id names the same version.
    for kind in OUTPUT_SCHEMAS + ["sweep-row"]:
        s = schemas.get(kind)
        if not s:
            continue
        version = s["properties"]["schema_version"].get("const")
        if not s["$id"].endswith(":" + str(version)):
            fail("%s: $id %s does not end with its schema_version %s" % (kind, s["$id"], version))
    # Definitions shared by several output schemas must be identical wherever they appear.
    seen = {}
    for kind in OUTPUT_SCHEMAS:
        for name, d in schemas.get(kind, {}).get("$defs", {}).items():
            if name in seen and seen[name][1] != d:
                fail("$defs/%s differs between %s and %s" % (name, seen[name][0], kind))
            seen.setdefault(name, (kind, d))

    checked = 0
    configs = os.path.join(root, "configs")
    for entry in sorted(os.listdir(configs)):
        if entry == "schema":
            continue
        full = os.path.join(configs, entry)
        kind = CONFIG_KINDS.get(entry)
        files = [full] if os.path.isfile(full) else [os.path.join(full, n) for n in sorted(os.listdir(full))]
        for path in files:
            if not (path.endswith(".json") or path.endswith(".jsonl")):
                continue  # notes (*.md) beside the data
            rel = os.path.relpath(path, root)
            if kind is None:
                fail("%s: no schema for files in configs/%s (add it to CONFIG_KINDS)" % (rel, entry))
                continue
            for label, doc in documents(path, kind):
                for e in schema_errors(schemas[kind], doc):
                    fail("%s: %s: %s (schema %s)" % (os.path.relpath(label, root), json_path(e.absolute_path), e.message, kind))
            rc, err = load_file(kind, path)
            if rc != 0:
                fail("%s: the loader rejects a shipped config: %s" % (rel, err))
            checked += 1
    print("checked %d shipped config files against %d schemas" % (checked, len(schemas)))


def cmd_corpus(root, load_file):
    corpus = os.path.join(root, "tests", "corpus")
    with open(os.path.join(corpus, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    listed = set()
    for case in manifest["cases"]:
        rel = case["file"]
        listed.add(rel)
        path = os.path.join(corpus, rel)
        kind = case["kind"]
        schema = load_schema(root, kind)
        rc, err = load_file(kind, path)
        if case.get("syntax"):
            # Not JSON at all: Python's parser must refuse it too, and the loader must say where.
            try:
                documents(path, kind)
                fail("%s: listed as malformed JSON, but Python parses it" % rel)
            except ValueError:
                pass
            if rc != 2:
                fail("%s: the loader should exit 2, exited %d: %s" % (rel, rc, err))
            want = re.escape(path) + r"(:[0-9]+)?: malformed JSON at line [0-9]+, column [0-9]+: "
            if not re.search(want, err) or case["error"] not in err:
                fail("%s: the loader's message should say 'malformed JSON at line L, column C' and %r; it says: %s" % (rel, case["error"], err))
            continue
        errors = [e for _, doc in documents(path, kind) for e in schema_errors(schema, doc)]
        if case.get("loader_check"):
            # A check the schema cannot state (another file, uniqueness of a name inside objects):
            # the schema accepts the file, lists the check under x-loader-checks, the loader refuses.
            if errors:
                fail("%s: a loader-only case, but the schema rejects it: %s" % (rel, errors[0].message))
            if case["loader_check"] not in schema.get("x-loader-checks", []):
                fail("%s: %r is not under x-loader-checks of the %s schema" % (rel, case["loader_check"], kind))
            errors = None
        if case["valid"]:
            if errors:
                fail("%s: valid, but the schema says %s: %s" % (rel, json_path(errors[0].absolute_path), errors[0].message))
            if rc != 0:
                fail("%s: valid, but the loader says: %s" % (rel, err))
            continue
        if errors == []:
            fail("%s: the loader should reject it (%s) and the schema accepts it" % (rel, case["error"]))
        if rc != 2:
            fail("%s: the loader should exit 2, exited %d: %s" % (rel, rc, err))
        # FILE: $.path: detail (a line of a JSON Lines file: FILE:LINE: $.path: detail)
        want = re.escape(path) + r"(:[0-9]+)?: " + re.escape(case["path"]) + ": "
        if not re.search(want, err) or case["error"] not in err:
            fail("%s: the loader's message should name %r and say %r; it says: %s" % (rel, case["path"], case["error"], err))
        if errors is None:
            continue
        # Missing and unknown keys are reported on their object; wrong values on themselves.
        paths = [json_path(e.absolute_path) for e in errors]
        if not any(case["path"] == p or case["path"].startswith(p + ".") or case["path"].startswith(p + "[") for p in paths):
            fail("%s: no schema error at %s or above it; the schema's errors are at %s" % (rel, case["path"], paths))
    for dirpath, _, names in os.walk(corpus):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), corpus)
            if rel != "manifest.json" and rel not in listed:
                fail("tests/corpus/%s is not in manifest.json" % rel)
    print("checked %d corpus cases" % len(manifest["cases"]))


def cmd_mutations(root, load_file, count, seed):
    rng = random.Random(seed)
    kinds = {k: v for k, v in CONFIG_KINDS.items() if v != "validation-point"}
    values = [0, -1, 1, 0.5, 1.5, 3.7, 8, 1e9, 1e19, "x", "", "fp8", "moe", "mla", "owned", True, None, [], {}, [1], {"a": 1}]
    with tempfile.TemporaryDirectory() as tmp:
        # A copy of the configs, so names in the mutated files resolve as in the shipped tree.
        shutil.copytree(os.path.join(root, "configs"), os.path.join(tmp, "configs"), ignore=shutil.ignore_patterns("*.jsonl", "*.md"))
        files = []
        for entry, kind in kinds.items():
            full = os.path.join(tmp, "configs", entry)
            names = [full] if os.path.isfile(full) else [os.path.join(full, n) for n in sorted(os.listdir(full))]
            files += [(kind, f) for f in names if f.endswith(".json")]
        schemas = {kind: load_schema(root, kind) for kind in set(kinds.values())}
        both = loader_only = 0
        for _ in range(count):
            kind, path = rng.choice(files)
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            spots = []

            def walk(v, trail):
                if trail and trail[-1] not in ("source", "sources"):
                    spots.append(trail)
                if isinstance(v, dict):
                    for k, x in v.items():
                        if k not in ("source", "sources"):
                            walk(x, trail + [k])
                elif isinstance(v, list):
                    for i, x in enumerate(v):
                        walk(x, trail + [i])
            walk(doc, [])
            trail = rng.choice(spots)
            parent = doc
            for k in trail[:-1]:
                parent = parent[k]
            r = rng.random()
            if r < 0.25 and isinstance(parent, dict):
                del parent[trail[-1]]
                what = "deleted"
            elif r < 0.35 and isinstance(parent, dict):
                parent[str(trail[-1]) + "_extra"] = 1
                what = "a key added beside it"
            else:
                parent[trail[-1]] = rng.choice(values)
                what = "set to %s" % json.dumps(parent[trail[-1]])
            mutated = os.path.join(os.path.dirname(path), "mutated-" + os.path.basename(path))
            with open(mutated, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            errors = schema_errors(schemas[kind], doc)
            rc, err = load_file(kind, mutated)
            os.remove(mutated)
            if errors and rc == 0:
                fail("%s %s %s: the schema rejects it (%s: %s), the loader accepts it" % (
                    os.path.relpath(path, tmp), json_path(trail), what, json_path(errors[0].absolute_path), errors[0].message))
            both += bool(errors) and rc != 0
            if not errors and rc != 0:
                loader_only += 1
                print("loader only: %s %s %s: %s" % (os.path.relpath(path, tmp), json_path(trail), what, err.split(": ", 2)[-1][:150]))
    print("%d mutations: %d rejected by both, %d by the loader alone (cross-field or cross-file checks)" % (count, both, loader_only))


def cmd_output(root, name, mode, command):
    schema = load_schema(root, name)
    p = subprocess.run(command, capture_output=True, text=True)
    if p.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(command), p.returncode, p.stderr.strip()[-2000:]))
        return
    if mode == "csv":
        rows = list(csv.reader(io.StringIO(p.stdout)))
        columns = list(schema["properties"])
        if not rows or rows[0] != columns:
            fail("the CSV header is not the schema's columns in order:\n  %s\n  %s" % (rows[0] if rows else None, columns))
        for i, r in enumerate(rows[1:], 2):
            if len(r) != len(columns):
                fail("CSV line %d has %d fields, expected %d" % (i, len(r), len(columns)))
        print("checked a CSV of %d rows" % (len(rows) - 1))
        return
    docs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()] if mode == "jsonl" else [json.loads(p.stdout)]
    if not docs:
        fail("no output")
    for i, doc in enumerate(docs):
        if mode == "jsonl" and list(doc) != list(schema["properties"]):
            fail("row %d: keys not in the schema's order: %s" % (i + 1, list(doc)))
        for e in schema_errors(schema, doc)[:20]:
            fail("%s%s: %s" % ("row %d: " % (i + 1) if mode == "jsonl" else "", json_path(e.absolute_path), e.message))
    print("checked %d %s document(s)" % (len(docs), name))


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 64
    root, what = argv[1], argv[2]
    if what in ("configs", "corpus") and len(argv) == 4:
        loader = Loader(argv[3])
        (cmd_configs if what == "configs" else cmd_corpus)(root, loader)
        loader.close()
    elif what == "mutations" and 4 <= len(argv) <= 6:
        loader = Loader(argv[3])
        cmd_mutations(root, loader, int(argv[4]) if len(argv) > 4 else 300, int(argv[5]) if len(argv) > 5 else 1)
        loader.close()
    elif what == "output" and "--" in argv:
        k = argv.index("--")
        opts = argv[4:k]
        mode = "jsonl" if "--jsonl" in opts else "csv" if "--csv" in opts else "json"
        cmd_output(root, argv[3], mode, argv[k + 1:])
    else:
        print(__doc__)
        return 64
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
