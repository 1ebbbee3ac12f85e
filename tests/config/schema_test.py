#!/usr/bin/env python3
"""Checks the JSON Schemas in config/schema/ against the files they describe and against config/keys.cpp.

Usage: schema_test.py REPOSITORY_ROOT [-v]

- both schemas are valid JSON Schemas (draft 2020-12) and follow the project's conventions: every key has a
  description and a type, every mapping with fixed keys has "additionalProperties": false;
- config/restorepointd.yaml is valid for the settings schema, every document of every config/examples/*.yaml
  for the policy schema, and the example policies' names are unique (they can share one policies.d);
- every file in tests/config/broken/{settings,policies}/*.yaml fails its schema, with exactly one error, and
  that error concerns the key path named by the file's first line, "# expect: <key.path>: <description>";
- the property paths of each schema ("copies[].region" for list items) equal the key lists in config/keys.cpp.

YAML is read as YAML 1.2 (core schema), the way yaml-cpp and yaml-language-server read it: `2025-04-01` stays a
string, `yes`/`on` stay strings, `010` is ten; a duplicate key is an error.

Needs Debian's python3-jsonschema and python3-yaml. Prints "N passed, M failed" last; exits 1 on any failure.
"""

import glob
import json
import os
import re
import sys
import unittest

import yaml
import yaml.constructor

try:
    from importlib.metadata import version as _package_version

    JSONSCHEMA_VERSION = _package_version("jsonschema")
except Exception:  # pragma: no cover - very old Pythons
    JSONSCHEMA_VERSION = "unknown"

import jsonschema

if hasattr(jsonschema, "Draft202012Validator"):
    Validator = jsonschema.Draft202012Validator
else:  # an older jsonschema: fall back to the newest draft it has, and say so
    Validator = getattr(jsonschema, "Draft201909Validator", None) or jsonschema.Draft7Validator

ROOT = None  # set in main()

SETTINGS_SCHEMA = "config/schema/restorepointd.schema.json"
POLICY_SCHEMA = "config/schema/policy.schema.json"
SETTINGS_FILE = "config/restorepointd.yaml"
EXAMPLES = "config/examples/*.yaml"
BROKEN_SETTINGS = "tests/config/broken/settings/*.yaml"
BROKEN_POLICIES = "tests/config/broken/policies/*.yaml"
KEYS_CPP = "config/keys.cpp"

MIN_BROKEN_SETTINGS = 8
MIN_BROKEN_POLICIES = 15

EXPECT_LINE = re.compile(r"^# expect: ([A-Za-z0-9_.\[\]]+): \S.*$")


# --- YAML 1.2 core schema ------------------------------------------------------------------------------------


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader with YAML 1.2 core-schema scalars and duplicate keys refused."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_REPLACED_TAGS = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load_documents(path):
    with open(path, encoding="utf-8") as f:
        return list(yaml.load_all(f, Loader=Yaml12Loader))


def load_schema(relative):
    with open(os.path.join(ROOT, relative), encoding="utf-8") as f:
        return json.load(f)


def files(pattern):
    return sorted(glob.glob(os.path.join(ROOT, pattern)))


# --- Schema walking --------------------------------------------------------------------------------------------


def resolve(schema, root):
    """Follows a local "$ref" (merging its siblings, as 2020-12 does); other schemas are returned as they are."""
    if isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, got {ref}")
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        merged = dict(resolve(target, root))
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        return merged
    return schema


def property_schemas(schema, root, prefix=""):
    """Yields (path, schema) for every property of the document structure, list items as "parent[].child"."""
    schema = resolve(schema, root)
    if not isinstance(schema, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        resolved = resolve(sub, root)
        yield path, resolved
        yield from property_schemas(resolved, root, path)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from property_schemas(items, root, prefix + "[]")


def property_paths(schema):
    return [path for path, _ in property_schemas(schema, schema)]


def object_schemas(schema, root, where="(root)"):
    """Yields (where, schema) for every object schema of the document structure."""
    schema = resolve(schema, root)
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "object":
        yield where, schema
    for key, sub in schema.get("properties", {}).items():
        yield from object_schemas(sub, root, key if where == "(root)" else f"{where}.{key}")
    items = schema.get("items")
    if isinstance(items, dict):
        yield from object_schemas(items, root, where + "[]")


def keys_cpp_paths(function):
    with open(os.path.join(ROOT, KEYS_CPP), encoding="utf-8") as f:
        text = f.read()
    match = re.search(function + r"\(\)\s*\{(.*?)\n\}", text, re.S)
    if not match:
        raise AssertionError(f"{KEYS_CPP}: function {function}() not found")
    return re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))


# --- Errors and key paths -------------------------------------------------------------------------------------


def format_path(parts):
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def error_key_paths(error):
    """The key paths a validation error concerns: the offending key itself for required, additionalProperties
    and dependentRequired errors (which jsonschema reports at the enclosing mapping)."""
    base = list(error.absolute_path)
    instance = error.instance
    keys = []
    if error.validator == "required" and isinstance(instance, dict):
        keys = [k for k in error.validator_value if k not in instance]
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        keys = [k for k in instance if k not in known]
    elif error.validator == "dependentRequired" and isinstance(instance, dict):
        keys = [k for k, needs in error.validator_value.items() if k in instance and any(n not in instance for n in needs)]
    if keys:
        return [format_path(base + [k]) for k in keys]
    return [format_path(base)]


def concerns(error_path, expected):
    return error_path == expected or error_path.startswith(expected + ".") or error_path.startswith(expected + "[")


def describe(error):
    return f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"


# --- Tests ---------------------------------------------------------------------------------------------------


class SchemaTest(unittest.TestCase):
    """The schemas themselves."""

    def check_meta(self, relative):
        schema = load_schema(relative)
        self.assertEqual(schema.get("$schema"), "https://json-schema.org/draft/2020-12/schema")
        Validator.check_schema(schema)

    def test_settings_schema_is_a_valid_json_schema(self):
        self.check_meta(SETTINGS_SCHEMA)

    def test_policy_schema_is_a_valid_json_schema(self):
        self.check_meta(POLICY_SCHEMA)

    def check_conventions(self, relative):
        schema = load_schema(relative)
        problems = []
        for path, sub in property_schemas(schema, schema):
            if not isinstance(sub, dict):
                problems.append(f"{path}: not a schema object")
                continue
            for required in ("description", "type"):
                if required not in sub:
                    problems.append(f"{path}: no {required}")
            if "\n" in sub.get("description", ""):
                problems.append(f"{path}: description is not one line")
        for where, sub in object_schemas(schema, schema):
            # A mapping with fixed keys refuses others; a free mapping (tags) says what its values are.
            if "properties" in sub and sub.get("additionalProperties") is not False:
                problems.append(f"{where}: mapping without additionalProperties: false")
            if "properties" not in sub and not isinstance(sub.get("additionalProperties"), dict):
                problems.append(f"{where}: free mapping without a schema for its values")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_settings_schema_conventions(self):
        self.check_conventions(SETTINGS_SCHEMA)

    def test_policy_schema_conventions(self):
        self.check_conventions(POLICY_SCHEMA)

    def check_keys(self, relative, function):
        schema_paths = property_paths(load_schema(relative))
        cpp_paths = keys_cpp_paths(function)
        self.assertEqual(len(schema_paths), len(set(schema_paths)), "duplicate paths in the schema")
        only_schema = sorted(set(schema_paths) - set(cpp_paths))
        only_cpp = sorted(set(cpp_paths) - set(schema_paths))
        if only_schema or only_cpp:
            message = [f"{relative} and {KEYS_CPP} {function}() differ:"]
            message += [f"  only in the schema: {p}" for p in only_schema]
            message += [f"  only in keys.cpp:   {p}" for p in only_cpp]
            self.fail("\n".join(message))

    def test_settings_schema_paths_equal_keys_cpp(self):
        self.check_keys(SETTINGS_SCHEMA, "settings_key_paths")

    def test_policy_schema_paths_equal_keys_cpp(self):
        self.check_keys(POLICY_SCHEMA, "policy_key_paths")

    def test_instant_access_duration_pattern_is_exactly_60_to_300_minutes(self):
        # Every spelling h/m (with and without a zero seconds part) against the rule itself.
        schema = load_schema(POLICY_SCHEMA)
        duration = schema["properties"]["instant_access"]["properties"]["duration"]
        validator = Validator({"$schema": schema["$schema"], **duration})
        wrong = []
        for hours in [None] + list(range(0, 7)):
            for minutes in [None] + list(range(0, 361)):
                if hours is None and minutes is None:
                    continue
                for seconds in ("", "0s"):
                    text = (f"{hours}h" if hours is not None else "") + (f"{minutes}m" if minutes is not None else "")
                    text += seconds
                    total = (hours or 0) * 60 + (minutes or 0)
                    if validator.is_valid(text) != (60 <= total <= 300):
                        wrong.append(text)
        self.assertEqual(wrong, [], "instant_access.duration pattern disagrees with 60..300 minutes")
        self.assertTrue(validator.is_valid("3600s") and validator.is_valid("18000s"), "seconds spellings are the daemon's")

    def test_there_are_enough_files(self):
        self.assertTrue(os.path.isfile(os.path.join(ROOT, SETTINGS_FILE)), SETTINGS_FILE)
        self.assertGreaterEqual(len(files(EXAMPLES)), 1, EXAMPLES)
        self.assertGreaterEqual(len(files(BROKEN_SETTINGS)), MIN_BROKEN_SETTINGS, BROKEN_SETTINGS)
        self.assertGreaterEqual(len(files(BROKEN_POLICIES)), MIN_BROKEN_POLICIES, BROKEN_POLICIES)

    def test_example_policy_names_are_unique(self):
        names = []
        for path in files(EXAMPLES):
            names += [doc.get("name") for doc in load_documents(path) if isinstance(doc, dict)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        self.assertEqual(duplicates, [], "example policies share names")


class ValidFilesTest(unittest.TestCase):
    """The packaged settings file and the example policies pass; one test per document (added below)."""

    def check_valid(self, schema_file, path, index):
        schema = load_schema(schema_file)
        document = load_documents(path)[index]
        errors = sorted(Validator(schema).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        self.assertEqual([describe(e) for e in errors], [], f"{path} document {index + 1}")


class BrokenFilesTest(unittest.TestCase):
    """Each broken file fails its schema, with one error, about the key path its first line names."""

    def check_broken(self, schema_file, path):
        with open(path, encoding="utf-8") as f:
            first_line = f.readline().rstrip("\n")
        match = EXPECT_LINE.match(first_line)
        self.assertIsNotNone(match, f"{path}: first line must read '# expect: <key.path>: <description>'")
        expected = match.group(1)
        documents = [d for d in load_documents(path) if d is not None]
        self.assertEqual(len(documents), 1, f"{path}: a broken file holds one document")
        errors = list(Validator(load_schema(schema_file)).iter_errors(documents[0]))
        self.assertNotEqual(errors, [], f"{path}: passes the schema, but should fail at {expected}")
        details = "; ".join(describe(e) for e in errors)
        self.assertEqual(len(errors), 1, f"{path}: one mistake should give one error, got: {details}")
        paths = error_key_paths(errors[0])
        self.assertTrue(
            any(concerns(p, expected) for p in paths), f"{path}: error is about {paths}, expected {expected}: {details}"
        )


def _test_name(prefix, path, index=None):
    stem = re.sub(r"[^A-Za-z0-9]+", "_", os.path.splitext(os.path.basename(path))[0]).strip("_")
    return f"test_{prefix}_{stem}" + (f"_doc{index + 1}" if index is not None else "")


def add_file_tests():
    def valid(schema_file, path, index):
        return lambda self: self.check_valid(schema_file, path, index)

    def broken(schema_file, path):
        return lambda self: self.check_broken(schema_file, path)

    settings = os.path.join(ROOT, SETTINGS_FILE)
    setattr(ValidFilesTest, "test_settings_file", valid(SETTINGS_SCHEMA, settings, 0))
    for path in files(EXAMPLES):
        try:
            documents = load_documents(path)
        except yaml.YAMLError as e:
            setattr(ValidFilesTest, _test_name("example", path), lambda self, e=e, p=path: self.fail(f"{p}: {e}"))
            continue
        for index, document in enumerate(documents):
            if document is not None:  # an empty document is ignored, as the daemon does
                setattr(ValidFilesTest, _test_name("example", path, index), valid(POLICY_SCHEMA, path, index))
    for path in files(BROKEN_SETTINGS):
        setattr(BrokenFilesTest, _test_name("broken_settings", path), broken(SETTINGS_SCHEMA, path))
    for path in files(BROKEN_POLICIES):
        setattr(BrokenFilesTest, _test_name("broken_policy", path), broken(POLICY_SCHEMA, path))


def main():
    global ROOT
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        print(f"usage: {sys.argv[0]} REPOSITORY_ROOT [-v]", file=sys.stderr)
        return 2
    ROOT = os.path.abspath(sys.argv[1])
    print(f"jsonschema {JSONSCHEMA_VERSION}, validating with {Validator.__name__}", file=sys.stderr)
    if Validator is not getattr(jsonschema, "Draft202012Validator", None):
        print("note: this jsonschema has no draft 2020-12 support; using an older draft", file=sys.stderr)
    add_file_tests()

    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in (SchemaTest, ValidFilesTest, BrokenFilesTest))
    verbosity = 2 if "-v" in sys.argv[2:] else 1
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stderr).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    sys.stderr.flush()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
