"""Strings from git, paths and agents are shown literally, everywhere.

Textual parses ``str`` content as markup: a stash message ``wip [/]`` raised a MarkupError (the
recovery screen crashed), and ``[red]`` / ``[link=…]`` / ``[$error]`` in a branch name styled or
linked rows, so rows could be spoofed.  ``rich.markup.escape`` is not enough for Textual's parser:
it leaves ``[$var]`` and ``[B]`` alone, and both are tags to Textual; and escaping ``[`` cannot save
a value that ends in a backslash (it escapes the tag that follows).  So values never go into markup
text: :func:`fmt` passes them as template variables, :func:`plain` makes a renderable of them.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.content import Content

from agenttui.core.errors import shown


def fmt(template: str, **values: object) -> Content:
    """Our own markup with *values* put in literally: ``fmt("[b]$name[/b]", name=branch)``.
    Textual substitutes template variables after parsing, so nothing in a value is a tag — not
    even a trailing backslash, which would escape the closing tag of any escaped f-string — and
    control characters in a value are shown as escapes (``core.errors.shown``), never sent."""
    return Content.from_markup(template, **{k: shown(v) for k, v in values.items()})


def plain(text: object) -> Text:
    """*text* as a renderable that is never parsed: for table cells and options (DataTable measures
    a rich ``Text`` right; a ``Content`` cell was measured at 8 columns); one line, control
    characters shown as escapes."""
    return Text(shown(text))


def plain_lines(text: object) -> Text:
    """Several lines of *text* (a preview, a detail): never parsed, newlines kept, every other control
    character shown as an escape."""
    return Text(shown(text, lines=True))


def output(line: str) -> str:
    """A line of an agent's output for its pane: colours and other escape sequences taken out (the
    terminal is not theirs to drive), what is left shown literally."""
    return shown(_ANSI.sub("", line))


_ANSI_PATTERN = r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]"


_ANSI = re.compile(_ANSI_PATTERN)
