from odoo.tools.misc import babel_locale_parse, get_lang


def join_items(env, items):
    """``items`` listed the way the language of ``env`` separates the items
    of an enumeration: "street, city" in English, "街道、城市" in Chinese.
    The separator only: the messages read as a list of names, and English
    keeps its "a, b, c" without an "and"."""
    locale = babel_locale_parse(get_lang(env).code)
    pattern = locale.list_patterns["standard"]["middle"]
    separator = pattern.replace("{0}", "").replace("{1}", "")
    return separator.join(str(item) for item in items)
