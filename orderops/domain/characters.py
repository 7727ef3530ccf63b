"""Characters that must never reach a terminal as they are, and how they are shown.

Control characters (C0, DEL, C1: ESC starts escape sequences, U+009B is an 8-bit
CSI, U+0085 a line break), line and paragraph separators (U+2028, U+2029) and
format characters (Unicode category Cf: bidirectional overrides and isolates,
zero-width spaces and joiners, the BOM, invisible tags) can move the cursor,
clear the screen, make links, reorder or hide text. Identifiers refuse them;
free text keeps them and is shown with them escaped (`\\x1b`, `\\u202e`).

stdlib only: the formats (refusing) and the CLI (showing) both use it.
"""

from __future__ import annotations

import re

# Category Cf (Unicode 14 to 16, a little wider where blocks have room to grow),
# C1 and DEL, the two separators, and lone surrogates (undecodable bytes of a file
# name). A test checks this against unicodedata for the running Python.
_ABOVE_ASCII = (
    "\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# Every character that must not reach a terminal as it is.
UNSAFE = re.compile(f"[\x00-\x1f{_ABOVE_ASCII}]")
# The same without C0: what JSON (which escapes C0 itself) must still escape.
UNSAFE_ABOVE_ASCII = re.compile(f"[{_ABOVE_ASCII}]")

_ZWJ = "\u200d"


def hidden_character(text: str) -> str | None:
    """The first character of `text` above ASCII that could drive a terminal or hide
    itself (C1, a separator, a format character), or None. The ASCII ones (C0, DEL)
    are the business of the callers' own checks, which also strip blanks around."""
    if text.isprintable():
        return None
    found = UNSAFE_ABOVE_ASCII.search(text)
    return found.group() if found else None


def escaped(char: str) -> str:
    """One character as Python writes it in a string: `\\x1b`, `\\u202e`, `\\U000e0041`."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def shown_text(text: str) -> str:
    """`text` with every unsafe character escaped; everything else (accents, CJK,
    emoji, backslashes) as it is. A zero-width joiner between two pictographs is
    part of an emoji (a family, a rainbow flag) and is kept."""
    if text.isprintable():
        return text
    return UNSAFE.sub(_escape_match, text)


def _escape_match(match: re.Match[str]) -> str:
    char = match.group()
    if char == _ZWJ and _joins_emoji(match.string, match.start()):
        return char
    return escaped(char)


def _joins_emoji(text: str, at: int) -> bool:
    before = text[at - 1] if at > 0 else ""
    if before == "\ufe0f" and at > 1:  # an emoji presentation selector
        before = text[at - 2]
    after = text[at + 1] if at + 1 < len(text) else ""
    return _pictograph(before) and _pictograph(after)


def _pictograph(char: str) -> bool:
    return bool(char) and (
        "\U0001f000" <= char <= "\U0001faff"
        or "\u2600" <= char <= "\u27bf"
        or char in "\u2b1b\u2b1c\u2b50\u2b55"
    )


def json_text(dumped: str) -> str:
    """JSON text with the unsafe characters that JSON leaves raw (C1, separators,
    format characters) written as \\u escapes: the same data for any JSON reader,
    nothing that drives a terminal."""
    if dumped.isascii():
        return dumped
    return UNSAFE_ABOVE_ASCII.sub(_json_escape, dumped)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes an astral character as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
