"""Text shown exactly as written: bank text and learner text are never Markdown or HTML."""

from __future__ import annotations

import re

# Every ASCII punctuation mark that Markdown (CommonMark + GitHub strikethrough, Streamlit's
# :color[...] directives and $math$) could interpret; a backslash shows it literally.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&])")


def plain(text: str) -> str:
    """``text`` escaped for ``st.markdown``: it renders exactly as written."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", "  \n")
