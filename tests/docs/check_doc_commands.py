#!/usr/bin/env python3
# Runs every command the README and docs/*.md show, so none goes stale (CTest: docs.commands).
# What counts as a command, the markers and the rules are in docs/testing.md ("Every documented
# command is run"); a failure names the file and line of the command.
"""Extract the shell commands of README.md and docs/*.md and run each one against the built binary.

Commands: every command of a ```sh or ```bash block (lines joined across a trailing backslash or an
open quote) and every `$ ` line of a ```console block. `tokenplan` and `./build/tokenplan` run the
binary given by --tokenplan. Each document's commands run in order in one fresh temporary folder
holding a copy of configs/, so files they write (--out, --html) land there and later commands of
the same document can read them.

Markers:
  <!-- not run: REASON -->   on the line before a block: the block is listed as skipped with REASON
  # exits N                  trailing comment: the command must exit with status N (default 0)
  # not run: REASON          trailing comment: this command is skipped with REASON
A leading `bash .ci/setup && ` is not run (it installs packages and builds; the test runs on the
build that exists); the rest of that command is.

Other blocks (```text, ```json) are output and are not run; an unlabelled block, or a `$ ` prompt or a
`tokenplan SUBCOMMAND ...` / `./build/tokenplan ...` line in a block that is not run, is an error, so
a command cannot hide from this test.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

RUN_LANGS = {"sh", "bash", "console"}
OUTPUT_LANGS = {"text", "json"}
FENCE = re.compile(r"^```(\S*)\s*$")
NOT_RUN_BLOCK = re.compile(r"^<!--\s*not run:\s*(.+?)\s*-->\s*$")
SETUP_PREFIX = "bash .ci/setup && "
# A line in an output block that reads as a command ("tokenplan plan: ..." is the tool's own header).
LOOKS_LIKE_COMMAND = re.compile(r"^(\$ |\./build/tokenplan\b|tokenplan [a-z][a-z-]*(\s|$))")
SLOW_S = 20.0


class Command:
    def __init__(self, path, line, text, skip=None, expect=0):
        self.path, self.line, self.text, self.skip, self.expect = path, line, text, skip, expect

    def where(self):
        return f"{self.path}:{self.line}"


def trailing_comment(cmd):
    """The comment after the first unquoted '#' that starts a word, or ''."""
    quote = None
    prev = " "
    for i, ch in enumerate(cmd):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t\n":
            return cmd[i + 1:].strip()
        prev = ch
    return ""


def complete(cmd):
    """True when cmd ends outside a quote and not on a line continuation."""
    if cmd.endswith("\\"):
        return False
    try:
        shlex.split(cmd, comments=True)
    except ValueError:
        return False
    return True


def parse(path, rel):
    """Commands of one Markdown file, and the errors of its blocks."""
    commands, errors = [], []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    prev_text = ""
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            if lines[i].strip():
                prev_text = lines[i].strip()
            i += 1
            continue
        lang, start = m.group(1), i + 1
        skip = NOT_RUN_BLOCK.match(prev_text)
        block = []
        i += 1
        while i < len(lines) and not FENCE.match(lines[i]):
            block.append((i + 1, lines[i]))
            i += 1
        if i < len(lines) and FENCE.match(lines[i]).group(1):
            errors.append(f"{rel}:{i + 1}: a fence with a language inside the block opened at line {start}")
        i += 1
        prev_text = ""
        if not lang:
            errors.append(f"{rel}:{start}: code block without a language: label it ```sh or ```console "
                          f"(commands, run by this test) or ```text (output, not run)")
            continue
        if lang not in RUN_LANGS:
            if skip:
                continue
            for n, text in block:
                if LOOKS_LIKE_COMMAND.match(text):
                    errors.append(f"{rel}:{n}: a command in a ```{lang} block, which is not run: "
                                  f"put it in a ```sh block (or mark the block <!-- not run: REASON -->)")
            continue
        pending, pending_line = None, 0
        for n, text in block:
            if lang == "console" and pending is None:
                if not text.startswith("$ "):
                    continue  # output
                text = text[2:]
            if pending is None:
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                pending, pending_line = text, n
            else:
                pending += "\n" + text
            if complete(pending):
                commands.append(make_command(rel, pending_line, pending, skip))
                pending = None
        if pending is not None:
            errors.append(f"{rel}:{pending_line}: command not finished at the end of its block "
                          f"(an open quote or a trailing backslash)")
    return commands, errors


def make_command(rel, line, text, block_skip):
    cmd = Command(rel, line, text)
    if block_skip:
        cmd.skip = block_skip.group(1)
        return cmd
    comment = trailing_comment(text)
    m = re.search(r"\bnot run:\s*(.+)$", comment)
    if m:
        cmd.skip = m.group(1).strip()
    m = re.search(r"\bexits (\d+)\b", comment)
    if m:
        cmd.expect = int(m.group(1))
    if cmd.text.startswith(SETUP_PREFIX):
        cmd.text = cmd.text[len(SETUP_PREFIX):]
    if re.match(r"python3 -m jsonschema\b", cmd.text) and not cmd.skip:
        if subprocess.run([sys.executable, "-c", "import jsonschema"], capture_output=True).returncode:
            cmd.skip = "python3-jsonschema is not installed"
    return cmd


FIRST_PAGE = 150
FIRST_PAGE_HEADINGS = ["## The question it answers", "## The two commands", "## Sample output"]


def check_first_page(path):
    """README.md's first 150 lines hold the question, the two commands and the sample answer."""
    lines = open(path, encoding="utf-8").read().split("\n")
    errors = []
    for h in FIRST_PAGE_HEADINGS:
        if h not in lines:
            errors.append(f"README.md: no heading '{h}'")
        elif lines.index(h) >= FIRST_PAGE:
            errors.append(f"README.md:{lines.index(h) + 1}: '{h}' starts past line {FIRST_PAGE}")
    if "## Sample output" in lines:
        start = lines.index("## Sample output")
        fences = [i for i in range(start, len(lines)) if FENCE.match(lines[i])]
        if len(fences) < 2:
            errors.append("README.md: no code block under '## Sample output'")
        elif fences[1] >= FIRST_PAGE:
            errors.append(f"README.md:{fences[1] + 1}: the sample answer ends past line {FIRST_PAGE}")
    return errors


LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading):
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    out, in_block = set(), False
    for line in lines:
        if FENCE.match(line):
            in_block = not in_block
        elif not in_block and line.startswith("#"):
            out.add(slug(line.lstrip("#")))
    return out


def check_links(src, rel):
    """Relative links of one Markdown file: the file exists, and so does the heading an anchor names."""
    errors = []
    path = os.path.join(src, rel)
    for n, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(dest):
                errors.append(f"{rel}:{n}: link to {target}: no such file")
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                errors.append(f"{rel}:{n}: link to {target}: no heading with that anchor")
    return errors


def prepare(work, source_dir, tokenplan):
    shutil.copytree(os.path.join(source_dir, "configs"), os.path.join(work, "configs"))
    os.makedirs(os.path.join(work, "build"))
    os.symlink(tokenplan, os.path.join(work, "build", "tokenplan"))
    bindir = os.path.join(work, ".bin")
    os.makedirs(bindir)
    os.symlink(tokenplan, os.path.join(bindir, "tokenplan"))
    return bindir


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenplan", required=True, help="the built binary")
    ap.add_argument("--source-dir", required=True, help="the source tree (README.md, docs/, configs/)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds per command (180)")
    ap.add_argument("--list", action="store_true", help="list the commands, run nothing")
    ap.add_argument("files", nargs="*", help="Markdown files relative to the source tree (default: "
                                             "README.md and docs/*.md)")
    args = ap.parse_args()
    src = os.path.abspath(args.source_dir)
    tokenplan = os.path.abspath(args.tokenplan)
    files = args.files or ["README.md"] + sorted(
        os.path.join("docs", f) for f in os.listdir(os.path.join(src, "docs")) if f.endswith(".md"))

    all_commands, errors = [], []
    for rel in files:
        cmds, errs = parse(os.path.join(src, rel), rel)
        all_commands.append((rel, cmds))
        errors += errs + check_links(src, rel)
    if "README.md" in files:
        errors += check_first_page(os.path.join(src, "README.md"))
    for e in errors:
        print(f"FAIL {e}")

    ran = skipped = 0
    failures = []
    for rel, cmds in all_commands:
        if not cmds:
            continue
        with tempfile.TemporaryDirectory(prefix="tokenplan-doc-") as work:
            bindir = None if args.list else prepare(work, src, tokenplan)
            env = dict(os.environ)
            if bindir:
                env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
            env["LC_ALL"] = "C"
            for c in cmds:
                one_line = " ".join(c.text.split())
                if c.skip:
                    skipped += 1
                    print(f"skip {c.where()}: {one_line[:100]} (not run: {c.skip})")
                    continue
                if args.list:
                    ran += 1
                    print(f"run  {c.where()}: {one_line[:100]} (expects exit {c.expect})")
                    continue
                t0 = time.monotonic()
                try:
                    p = subprocess.run(["bash", "-o", "pipefail", "-c", c.text], cwd=work, env=env,
                                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                       errors="replace", timeout=args.timeout)
                    rc, out, err = p.returncode, p.stdout, p.stderr
                except subprocess.TimeoutExpired as e:
                    rc, out, err = None, "", f"timed out after {args.timeout:.0f} s"
                dt = time.monotonic() - t0
                ran += 1
                slow = f" (over {SLOW_S:.0f} s: shorten it or mark it '# not run: REASON')" if dt > SLOW_S else ""
                if rc == c.expect:
                    print(f"ok   {c.where()}: exit {rc} in {dt:.1f} s{slow}: {one_line[:100]}")
                else:
                    expected = f"exit {c.expect}" + ("" if c.expect else " (mark a command meant to fail '# exits N')")
                    msg = f"{c.where()}: {one_line}\n     got {'a timeout' if rc is None else f'exit {rc}'}, expected {expected}"
                    tail = (err.strip() or out.strip()).splitlines()[-8:]
                    msg += "".join(f"\n     | {t}" for t in tail)
                    print(f"FAIL {msg}")
                    failures.append(msg)
    print(f"\n{ran} commands {'listed to run' if args.list else 'run'}, {skipped} skipped, "
          f"{len(failures)} failed, {len(errors)} document errors, in {len(files)} files")
    if failures or errors:
        print("\nFailures:")
        for f in errors + failures:
            print(f"  {f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
