#!/usr/bin/env python3
"""Validates protocol lines against schema/livedata-v1.schema.json.

Usage: validate.py FILE...   Each FILE is NDJSON (one message a line) or, ending in .json, one JSON document.
Files named bad_*.ndjson must have every line REJECTED (they prove the schema can fail).
Prints one line per file and a final 'N passed, N failed' line; exits non-zero on any failure.
"""
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate.py needs the jsonschema package: pip install jsonschema (scripts/test installs it)")

root = pathlib.Path(__file__).resolve().parents[2]
schema = json.loads((root / "schema" / "livedata-v1.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

passed = failed = 0
for name in sys.argv[1:]:
    path = pathlib.Path(name)
    text = path.read_text(encoding="utf-8")
    docs = [text] if path.suffix == ".json" else [l for l in text.splitlines() if l.strip()]
    expect_bad = path.name.startswith("bad_")
    problems = []
    for i, doc in enumerate(docs, 1):
        try:
            errors = list(validator.iter_errors(json.loads(doc)))
        except json.JSONDecodeError as e:
            errors = [e]
        if bool(errors) != expect_bad:
            detail = errors[0].message if errors else "accepted, but it should be rejected"
            problems.append(f"line {i}: {detail}")
    if problems or not docs:
        failed += 1
        print(f"FAIL {name}: " + ("; ".join(problems[:3]) or "no messages"))
    else:
        passed += 1
        print(f"ok   {name} ({len(docs)} messages)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
