#!/usr/bin/env python3
"""Validates JSON files against one of forklab's schemas: validate.py SCHEMA FILE...

An Autolab output is validated by its last line, the one Autolab parses, after the rewrite
Autolab makes of `word:` patterns (so a value that the rewrite would corrupt fails here too).
Exits 0 when every file is valid, 1 with one line per problem otherwise, 2 on usage errors.
"""
import json
import re
import sys

import jsonschema


def load(path, autolab):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if autolab:
        lines = text.rstrip().split("\n")
        text = re.sub(r"([a-zA-Z0-9]+):", r'"\1":', lines[-1].rstrip())
    return json.loads(text)


def main(argv):
    if len(argv) < 3:
        print("usage: validate.py SCHEMA FILE...", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    autolab = "autolab" in argv[1]
    problems = 0
    for path in argv[2:]:
        try:
            document = load(path, autolab)
        except (OSError, ValueError) as error:
            print(f"{path}: not JSON: {error}")
            problems += 1
            continue
        for error in validator.iter_errors(document):
            where = "/".join(str(part) for part in error.absolute_path) or "(top)"
            print(f"{path}: {where}: {error.message}")
            problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
