"""Read a traceback copied out of a page's HTML source back into the text Python printed.

A traceback taken from a page's source rather than from the page (a forum or Q&A export, a mailing-list archive, an
HTML test or CI report, a scraped answer) has HTML's character references where Python printed quotes and angle
brackets: `File &quot;app.py&quot;, line 3, in &lt;module&gt;`, `KeyError: &#39;age&#39;`, and `<br>` where lines
ended. No frame reads as a frame and the error's quoted names are `quot` and `39`. Such text is found by what only an
escaped traceback holds, a frame's escaped quote or angle-bracketed name, and its references and line breaks are
written back. Nothing else is touched: prose that talks about `&amp;` or `<br>` holds no such mark.
"""

from __future__ import annotations

import html
import re

# What only a traceback written into HTML holds: a frame's opening quote or its `<module>`/`<stdin>` name escaped.
_MARKS = ("File &quot;", "File &#34;", "File &#x22;", ", in &lt;")
# A line break HTML wrote instead of a newline, with the newline that may follow it in the source. Bounded: linear.
_BREAK = re.compile(r"<br[ \t]{0,8}/?>\n?", flags=re.IGNORECASE)


def unescape_html_tracebacks(text: str) -> str:
    """The text with HTML's character references and `<br>` line breaks written back, when it holds a traceback
    written into HTML (see the module); otherwise the text as it is."""
    if "&" not in text or not any(mark in text for mark in _MARKS):
        return text
    # html.unescape's pattern takes a reference of at most 32 characters at a time: linear in the text.
    return html.unescape(_BREAK.sub("\n", text))
