"""Checks of the addon that need no Odoo: manifest, XML files, access rows,
translations. Usage: python3 scripts/static_checks.py ADDON_DIR"""

import ast
import csv
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

REQUIRED_MANIFEST_KEYS = ("name", "version", "license", "author", "depends", "data")
MODEL_SOURCES = ("models/*.py", "wizard/*.py", "report/*.py")


def check_manifest(addon, problems):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    for key in REQUIRED_MANIFEST_KEYS:
        if key not in manifest:
            problems.append(f"__manifest__.py: missing key {key!r}")
    if "description" in manifest:
        problems.append("__manifest__.py: use readme/ fragments, not 'description'")
    version = manifest.get("version", "")
    if not re.fullmatch(r"19\.0\.\d+\.\d+\.\d+", version):
        problems.append(f"__manifest__.py: version {version!r} is not 19.0.x.y.z")
    listed = manifest.get("data", []) + manifest.get("demo", [])
    for name in listed:
        if not (addon / name).is_file():
            problems.append(f"__manifest__.py: listed file {name} does not exist")
    if len(set(listed)) != len(listed):
        problems.append("__manifest__.py: a data file is listed twice")
    for xml in addon.glob("*/*.xml"):
        relative = xml.relative_to(addon).as_posix()
        if xml.parent.name in ("static", "i18n", "tests"):
            continue
        if relative not in listed:
            problems.append(f"{relative}: not listed in __manifest__.py")
    return manifest


def check_xml(addon, problems):
    for xml in sorted(addon.rglob("*.xml")):
        try:
            ElementTree.parse(xml)
        except ElementTree.ParseError as error:
            problems.append(f"{xml.relative_to(addon)}: {error}")


def declared_models(source):
    """Names of the models a file declares; abstract ones need no access."""
    names = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if not isinstance(node, ast.ClassDef):
            continue
        if any(ast.unparse(base) == "models.AbstractModel" for base in node.bases):
            continue
        assigned = {
            target.id: statement.value
            for statement in node.body
            if isinstance(statement, ast.Assign)
            for target in statement.targets
            if isinstance(target, ast.Name)
        }
        name = assigned.get("_name")
        if not isinstance(name, ast.Constant):
            continue
        # `_name` repeated beside `_inherit = [name, mixin]` extends the model.
        inherited = assigned.get("_inherit")
        if isinstance(inherited, (ast.List, ast.Tuple)) and any(
            isinstance(item, ast.Constant) and item.value == name.value
            for item in inherited.elts
        ):
            continue
        names.add(name.value)
    return names


def check_access_rows(addon, problems):
    models = set()
    for pattern in MODEL_SOURCES:
        for source in addon.glob(pattern):
            models.update(declared_models(source))
    access_file = addon / "security" / "ir.model.access.csv"
    with access_file.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    covered = {row["model_id:id"].split(".")[-1] for row in rows}
    for model in sorted(models):
        if "model_" + model.replace(".", "_") not in covered:
            problems.append(f"model {model} has no row in ir.model.access.csv")
    ids = [row["id"] for row in rows]
    if len(set(ids)) != len(ids):
        problems.append("ir.model.access.csv: duplicate ids")


def check_translations(addon, problems):
    pot = addon / "i18n" / f"{addon.name}.pot"
    po = addon / "i18n" / "zh_CN.po"
    for path in (pot, po):
        if not path.is_file():
            problems.append(f"missing {path.relative_to(addon)}")
    if not (pot.is_file() and po.is_file()):
        return
    try:
        import polib  # noqa: PLC0415 (optional where Odoo is not installed)
    except ImportError:
        return
    template_ids = {entry.msgid for entry in polib.pofile(str(pot))}
    catalog = polib.pofile(str(po))
    translated = {e.msgid for e in catalog if e.msgstr and "fuzzy" not in e.flags}
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
    for entry in catalog:
        if entry.msgstr and set(placeholder.findall(entry.msgid)) != set(
            placeholder.findall(entry.msgstr)
        ):
            problems.append(f"zh_CN.po: placeholders differ for {entry.msgid!r}")
    missing = template_ids - translated
    if missing:
        sample = "; ".join(sorted(missing)[:5])
        problems.append(f"zh_CN.po: {len(missing)} terms untranslated, e.g. {sample}")
    sys.path.insert(0, str(Path(__file__).parent))
    from zh_punctuation import fix, is_code  # noqa: PLC0415 (next to this file)

    ascii_marks = [
        e.msgstr
        for e in catalog
        if e.msgstr and not is_code(e) and fix(e.msgstr) != e.msgstr
    ]
    if ascii_marks:
        problems.append(
            f"zh_CN.po: {len(ascii_marks)} Chinese translations with ASCII punctuation "
            f"(fix: python3 scripts/zh_punctuation.py {po}), e.g. {ascii_marks[0]!r}"
        )


def main():
    addon = Path(sys.argv[1] if len(sys.argv) > 1 else "order_mgmt_procedure")
    problems = []
    check_manifest(addon, problems)
    check_xml(addon, problems)
    check_access_rows(addon, problems)
    check_translations(addon, problems)
    for problem in problems:
        print(f"{addon.name}/{problem}")
    print(f"static checks: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
