#!/usr/bin/env python3
"""Validates policy and test files against docs/schema/*.json with an independent
JSON Schema validator (python3-jsonschema, Draft202012Validator and its format checker).

    Scripts/validate-policies-schema.py Policies/*.yaml
    Scripts/validate-policies-schema.py --schema-dir docs/schema FILE...

Each YAML document is checked against the schema whose `kind` constant matches its
`kind:`. Failures are printed as `file:line:col: error: message`, located at the key or
value in question. YAML is read by the 1.2 core schema, as Rescind and the YAML
language server read it (`yes`, `on` and dates stay strings).

Exit 0 when every document is valid, 1 when any is not, 2 on a usage error, 3 when
python3's jsonschema or yaml module is missing.
"""
import argparse
import json
import os
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError as missing:  # the Swift test skips (or fails) on this status
    print(f"validate-policies-schema: {missing}: install python3-jsonschema and python3-yaml", file=sys.stderr)
    sys.exit(3)


class CoreLoader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1 (`on` is true, `2026-01-01` a date); this reads 1.2's core schema."""


CoreLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
]:
    CoreLoader.add_implicit_resolver(tag, re.compile(pattern), first)


def construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


CoreLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", construct_float)
CoreLoader.add_constructor(
    "tag:yaml.org,2002:bool", lambda loader, node: loader.construct_scalar(node).lower() == "true")


def load_schemas(folder):
    """The schemas of `folder` by the document kind their `kind` property is fixed to."""
    schemas = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as file:
            schema = json.load(file)
        jsonschema.Draft202012Validator.check_schema(schema)
        kind = schema.get("properties", {}).get("kind", {}).get("const")
        if kind:
            schemas[kind] = (name, schema)
    return schemas


def locate(node, path, key=False):
    """The YAML node at `path` (keys and indexes); with `key`, the key node of the last step."""
    for index, step in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                    node = key_node if (key and last) else value_node
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def describe(path):
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "the document"


def short(error):
    """The validator's message, with a mapping or list it quotes named instead, and a
    pattern explained by the schema's description rather than shown."""
    message = error.message
    if isinstance(error.instance, (dict, list)) and len(repr(error.instance)) > 40:
        message = message.replace(repr(error.instance), "the mapping" if isinstance(error.instance, dict) else "the list")
    if error.validator == "pattern" and isinstance(error.schema, dict) and error.schema.get("description"):
        first = error.schema["description"].split(". ")[0].rstrip(".")
        message = f"{error.instance!r} does not match the expected form ({first})"
    return message


def closest(error, path):
    """For an `anyOf`/`oneOf` failure, the failure of the alternative that came closest:
    among those that are of the right type at least."""
    if not error.context:
        return ""
    candidates = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
    best = jsonschema.exceptions.best_match(candidates or error.context)
    return f"; closest: {short(best)} at {describe(list(best.absolute_path))}" if best is not None else ""


def expand(error):
    """The errors to report for `error`. An `anyOf`/`oneOf` failure whose alternatives all
    but one fail on the value's type (a mapping where a string or a list was allowed, say)
    is reported as that alternative's own errors, which say what is wrong inside it."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    by_alternative = {}
    for inner in error.context:
        by_alternative.setdefault(inner.schema_path[0], []).append(inner)
    fitting = [errors for errors in by_alternative.values()
               if not any(e.validator == "type" and not e.relative_path for e in errors)]
    if len(fitting) != 1:
        return [error]
    return [leaf for inner in fitting[0] for leaf in expand(inner)]


VALIDATORS = {"2020-12": jsonschema.Draft202012Validator, "7": jsonschema.Draft7Validator}


def failures(schema, document, node, draft):
    """(node, message) for every error, the unknown key itself for `additionalProperties`.
    `draft` 7 reads the schema as editors with draft-07 semantics do (the YAML language
    server): the schemas use only keywords both drafts share, so both must agree."""
    checker = jsonschema.FormatChecker()
    validator = VALIDATORS[draft](schema, format_checker=checker)
    found = []
    leaves = [leaf for error in validator.iter_errors(document) for leaf in expand(error)]
    for error in sorted(leaves, key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for extra in sorted(k for k in error.instance if k not in allowed):
                where = describe(path + [extra])
                found.append((locate(node, path + [extra], key=True),
                              f"unknown key `{extra}` at {where}; allowed: {', '.join(sorted(allowed))}"))
            continue
        if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
            # The key itself is wrong (`zh_CN:` for `zh-CN:`): point at it.
            found.append((locate(node, path + [error.instance], key=True),
                          f"key {short(error)} at {describe(path)}"))
            continue
        found.append((locate(node, path), f"{short(error)} at {describe(path)}" + closest(error, path)))
    return found


def check_file(path, schemas, draft):
    """The number of failures in `path`, each printed."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError as error:
        print(f"{path}: error: cannot read: {error.strerror}")
        return 1
    count = 0
    loader = CoreLoader(text)
    try:
        number = 0
        while loader.check_node():
            node = loader.get_node()
            number += 1
            document = loader.construct_document(node)
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
            if not isinstance(document, dict) or "kind" not in document:
                print(f"{path}:{line}:{column}: error: document {number} has no `kind`")
                count += 1
                continue
            kind = document["kind"]
            if kind not in schemas:
                print(f"{path}:{line}:{column}: error: no schema for `kind: {kind}` "
                      f"(known: {', '.join(sorted(schemas))})")
                count += 1
                continue
            name, schema = schemas[kind]
            for at, message in failures(schema, document, node, draft):
                mark = at.start_mark
                print(f"{path}:{mark.line + 1}:{mark.column + 1}: error: {message} ({name})")
                count += 1
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        print(f"{where}: error: YAML: {getattr(error, 'problem', None) or error}")
        count += 1
    finally:
        loader.dispose()
    return count


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description="Validate policy and test files against Rescind's JSON Schemas.")
    parser.add_argument("--schema-dir", default=os.path.join(root, "docs", "schema"),
                        help="the folder of *.json schemas (default: docs/schema)")
    parser.add_argument("--draft", choices=sorted(VALIDATORS), default="2020-12",
                        help="validate as this draft (default 2020-12; 7: as the YAML language server reads them)")
    parser.add_argument("files", nargs="+", metavar="FILE", help="YAML policy or test files")
    arguments = parser.parse_args()
    try:
        schemas = load_schemas(arguments.schema_dir)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as error:
        print(f"validate-policies-schema: cannot read the schemas in {arguments.schema_dir}: {error}", file=sys.stderr)
        return 2
    total = sum(check_file(path, schemas, arguments.draft) for path in arguments.files)
    checked = len(arguments.files)
    if total:
        print(f"{total} failure{'s' if total != 1 else ''} in {checked} file{'s' if checked != 1 else ''}",
              file=sys.stderr)
        return 1
    print(f"ok: {checked} file{'s' if checked != 1 else ''} valid", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
