"""Chinese punctuation in a .po catalog: ASCII : , ; ? ! ( ) and paired
double quotes in the text of Chinese translations become the full-width
：，；？！（） and “”.

Usage: python3 scripts/zh_punctuation.py [--check] PO_FILE...

Only the text of a translation that contains Chinese characters changes;
these stay as they are: placeholders (%(name)s, %s, %%, {x}, {{ expr }}),
markup tags and their attributes (QWeb expressions included), URLs, e-mail
addresses, digits around ':' or ',' (10:30, 1,000), and the translations
that are code (a report's file name expression). Spaces next to the new
full-width marks are dropped: Chinese sets none there. With --check the
files are left alone and the changes that would be made are listed (exit
status 1 when there is any)."""

import re
import sys

import polib

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# What is never text: checked in this order, the first match wins.
PROTECTED = re.compile(
    r"""
      \{\{.*?\}\}                       # inline template expression
    | <[^<>]*>                          # markup tag, attributes included
    | %\(\w+\)[-\#0\ +]*\d*(?:\.\d+)?[sdfirx]  # %(name)s, %(amount).2f
    | %[-\#0\ +]*\d*(?:\.\d+)?[sdfirx%]  # %s, %d, %%
    | \{\w*(?:![rsa])?(?::[^{}]*)?\}    # {x}, {}, {0:.2f}
    | (?:https?|ftp)://[^\s<>"']+       # URL
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+      # e-mail address
    | (?<=\d)[:,](?=\d)                 # 10:30, 1,000
    """,
    re.VERBOSE,
)
FULL_WIDTH = {
    ":": "：",
    ",": "，",
    ";": "；",
    "?": "？",
    "!": "！",
    "(": "（",
    ")": "）",
}
ASCII_MARK = re.compile(r"[:,;?!()]")
QUOTED = re.compile(r'"([^"\n]*)"')
# No space around a full-width mark (but a line break stays).
SPACE_AFTER = re.compile(r"([：，；？！）”])[ \t]+")
SPACE_BEFORE = re.compile(r"[ \t]+([：，；？！（）“”])")
# Translations that Odoo evaluates as code.
CODE_OCCURRENCES = ("print_report_name",)


def segments(text):
    """(is_text, piece) pairs covering ``text``."""
    position = 0
    for match in PROTECTED.finditer(text):
        if match.start() > position:
            yield True, text[position : match.start()]
        yield False, match.group()
        position = match.end()
    if position < len(text):
        yield True, text[position:]


def fix_text(piece):
    piece = QUOTED.sub(r"“\1”", piece)
    piece = ASCII_MARK.sub(lambda m: FULL_WIDTH[m.group()], piece)
    piece = SPACE_AFTER.sub(r"\1", piece)
    return SPACE_BEFORE.sub(r"\1", piece)


def fix(msgstr):
    """``msgstr`` with Chinese punctuation (unchanged without Chinese)."""
    if not HAN.search(msgstr):
        return msgstr
    parts = list(segments(msgstr))
    fixed = [fix_text(piece) if is_text else piece for is_text, piece in parts]
    # A space dropped next to a mark at the edge of a protected piece.
    result = "".join(fixed)
    result = SPACE_AFTER.sub(r"\1", result)
    return SPACE_BEFORE.sub(r"\1", result)


def is_code(entry):
    return any(
        name in reference
        for reference, __ in entry.occurrences
        for name in CODE_OCCURRENCES
    ) or any(name in (entry.comment or "") for name in CODE_OCCURRENCES)


def main(argv):
    check = "--check" in argv
    paths = [arg for arg in argv if arg != "--check"]
    changes = 0
    for path in paths:
        catalog = polib.pofile(path, wrapwidth=100000)
        for entry in catalog:
            if not entry.msgstr or is_code(entry):
                continue
            fixed = fix(entry.msgstr)
            if fixed != entry.msgstr:
                changes += 1
                if check:
                    print(f"{path}: {entry.msgstr!r}\n  -> {fixed!r}")
                entry.msgstr = fixed
        if not check:
            catalog.save(path)
    print(f"{changes} translation(s) {'to change' if check else 'changed'}")
    return 1 if check and changes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
