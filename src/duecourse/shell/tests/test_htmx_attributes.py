"""htmx attributes in the templates: what htmx would misread.

Inheritance: an element that swaps itself must not hand its target or swap to the htmx elements
inside it.

htmx lets an element inherit hx-target, hx-swap, hx-push-url … from any ancestor. The bulk wizard's form swaps
itself (hx-target="this" hx-swap="outerHTML"); the people search inside it inherited the outerHTML swap, so its
first answer replaced the results list itself and every later search had no target (issue 10). An ancestor that
issues requests and sets these attributes must say hx-disinherit (or each descendant must set its own).

Placeholders: a list with `data-empty` shows it through CSS `:empty`, which whitespace defeats; such a list's
template puts its loop right against its tags, so an empty list renders as `<ul …></ul>` (the wizard's "Nobody
picked individually." and the course page's "Nothing." never showed).

Triggers: `from:` takes a selector up to the next space, so a selector with a space must be in parentheses
(`from:(.filter select)`); the people list's `change from:.filter select` logged htmx:syntax:error on every load.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import duecourse

SRC = Path(duecourse.__file__).parent
REQUESTS = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}
LEAKY = ("hx-target", "hx-swap", "hx-push-url", "hx-select", "hx-include", "hx-vals")
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "wbr"}
TRIGGER_MODIFIERS = (
    "changed", "once", "delay:", "throttle:", "from:", "target:", "consume", "queue:", "root:", "threshold:"
)  # fmt: skip


class HtmxAttributeFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if REQUESTS & attributes.keys():
            for ancestor_tag, ancestor in self.stack:
                disinherited = ancestor.get("hx-disinherit", "").split()
                for name in LEAKY:
                    if name in ancestor and name not in attributes and not {"*", name} & set(disinherited):
                        self.problems.append(f"<{tag}> inherits {name} from its <{ancestor_tag}>")
        trigger = attributes.get("hx-trigger", "")
        for selector, rest in re.findall(r"from:([^\s,(][^\s,]*)\s+([^\s,]+)", trigger):
            if not rest.startswith(TRIGGER_MODIFIERS):
                self.problems.append(f'<{tag}> hx-trigger "from:{selector} {rest}": put a selector with a space in ()')
        if tag not in VOID:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return


def test_no_template_leaks_a_swap_to_the_htmx_elements_inside_it_or_misspells_a_trigger():
    problems = []
    for template in sorted(SRC.glob("*/templates/**/*.html")):
        finder = HtmxAttributeFinder()
        finder.feed(template.read_text())
        problems += [f"{template.relative_to(SRC)}: {p}" for p in finder.problems]
    assert problems == []


def test_a_list_with_an_empty_placeholder_renders_truly_empty():
    problems = []
    for template in sorted(SRC.glob("*/templates/**/*.html")):
        source = template.read_text()
        for match in re.finditer(r"<(\w+)[^>]*\bdata-empty=[^>]*>(.*?)</\1>", source, re.S):
            inner = match.group(2)
            if inner and not (inner.startswith("{%") and inner.endswith("%}")):
                problems.append(f"{template.relative_to(SRC)}: {match.group(0)[:80]}")
    assert problems == []
