"""Nothing from the data drives the terminal, and narrow terminals never hide identifiers.

Free text (names, addresses, notes, reasons, actors, product names) keeps every
character in the database and in JSON, and is shown to a person with control,
bidirectional and invisible characters escaped; identifiers (order numbers, SKUs,
bins) refuse those characters on the way in.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orderops.cli.output import shown, table
from orderops.domain.characters import UNSAFE

# Each hostile string, and what a person must see of it instead.
CSI_CLEAR = ("\x1b[2J", "\\x1b[2J")
CSI_8BIT = ("\x9b31m", "\\x9b31m")
OSC8_LINK = ("\x1b]8;;http://x\x1b\\here\x1b]8;;\x1b\\", "\\x1b]8;;http://x\\x1b\\here")
NEL = ("a\x85b", "a\\x85b")
LINE_SEPARATOR = ("a\u2028b", "a\\u2028b")
BIDI_OVERRIDE = ("\u202etxt.exe", "\\u202etxt.exe")
BIDI_ISOLATE = ("\u2066iso\u2069", "\\u2066iso\\u2069")
ZERO_WIDTH = ("zero\u200bwidth", "zero\\u200bwidth")
MARKUP = ("[bold red]x[/]", "[bold red]x[/]")
LINK_MARKUP = ("[link=http://x]y[/link]", "[link=http://x]y[/link]")
EMOJI_CODE = (":smile:", ":smile:")

CORPUS = [CSI_CLEAR, CSI_8BIT, OSC8_LINK, NEL, LINE_SEPARATOR, BIDI_OVERRIDE, BIDI_ISOLATE,
          ZERO_WIDTH, MARKUP, LINK_MARKUP, EMOJI_CODE]  # fmt: skip
# Files refuse C0 controls in free text already (ESC cannot come in that way);
# everything else in the corpus can.
FILE_CORPUS = [pair for pair in CORPUS if not re.search(r"[\x00-\x1f]", pair[0])]
HIDDEN = [CSI_8BIT, NEL, LINE_SEPARATOR, BIDI_OVERRIDE, BIDI_ISOLATE, ZERO_WIDTH]


def hostile(pairs: list[tuple[str, str]]) -> str:
    return " ".join(raw for raw, _ in pairs)


def assert_safe(output: str, pairs: list[tuple[str, str]] = CORPUS) -> None:
    """No character that could drive a terminal (line breaks aside), and each hostile
    string visible in its escaped form."""
    raw = [char for char in UNSAFE.findall(output) if char != "\n"]
    assert raw == [], output
    for _, seen in pairs:
        assert seen in output, (seen, output)


# --- The renderer ---------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "seen"), CORPUS)
def test_shown_escapes_what_could_drive_a_terminal(raw: str, seen: str) -> None:
    assert seen in shown(raw)
    assert UNSAFE.findall(shown(raw)) == []


def test_shown_leaves_ordinary_text_as_it_is() -> None:
    text = "Zoë Ångström, 東京都 渋谷区, 👨‍👩‍👧 🏳️‍🌈 café, C:\\path, 50% [sic]"
    assert shown(text) == text
    assert shown(None) == ""
    assert shown(42) == "42"


def test_shown_escapes_a_zero_width_joiner_that_joins_no_emoji() -> None:
    assert shown("pay\u200dpal") == "pay\\u200dpal"


def test_every_control_separator_and_format_character_counts_as_unsafe() -> None:
    # The character class is written out by hand; it must cover what this Python's
    # Unicode database calls a control, separator or format character.
    missed = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        and not UNSAFE.match(chr(code))
    ]
    assert missed == []


def test_table_cells_headers_and_title_are_shown_escaped() -> None:
    grid = table("sku", "name \u202e", title="T \x1b[2J", identifiers=("sku",))
    grid.add_row("S1", "n\x85[bold]")
    assert grid.rows == [["S1", "n\\x85[bold]"]]


# --- Free text: kept, and shown escaped in every human output ---------------------------


def _order_yaml(**fields: str) -> str:
    values = {
        "order_number": "1001", "customer_name": "Ada", "address1": "12 Square",
        "city": "London", "postal_code": "SW1Y 4JH", "country": "GB", "currency": "GBP",
        "placed_at": "2026-11-20T14:03:00+01:00", **fields,
    }  # fmt: skip
    line = {"sku": values.pop("sku", "TEA-1"), "qty": 1, "name": values.pop("product", "Tea")}
    order = {**values, "lines": [line]}
    # JSON is YAML, and keeps every character as written (YAML folds NEL and U+2028).
    return json.dumps([order])


def test_hostile_free_text_is_kept_and_shown_escaped_by_receive_track_list_and_process(
    cli: Callable[..., Any], order_file: Callable[..., Path], rows: Callable[..., Any]
) -> None:
    text = hostile(FILE_CORPUS)
    path = order_file(
        _order_yaml(customer_name=f"Ada {text}", address1=f"12 {text}", note=f"n {text}",
                    product=f"Tea {text}"),
        suffix=".yaml",
    )  # fmt: skip
    received = cli("receive", str(path))
    assert received.exit_code == 0, received.output
    assert rows("SELECT customer_name, note FROM orders") == [(f"Ada {text}", f"n {text}")]

    held = cli("--actor", f"bob {hostile(CORPUS)}", "hold", "1001", "--reason", hostile(CORPUS))
    assert held.exit_code == 0, held.output
    assert rows("SELECT actor FROM order_events WHERE action = 'hold'") == [
        (f"bob {hostile(CORPUS)}",)
    ]
    track = cli("track", "1001")
    assert track.exit_code == 0, track.output
    assert_safe(track.stdout)
    assert_safe(track.stderr, [])
    listed = cli("list")
    assert listed.exit_code == 0
    assert_safe(listed.stdout, FILE_CORPUS)
    assert len(listed.stdout.splitlines()) == 3  # header, one row, the count

    released = cli("--actor", hostile(CORPUS), "release", "1001")
    processed = cli("--actor", hostile(CORPUS), "process")
    assert (released.exit_code, processed.exit_code) == (0, 0), processed.output
    assert_safe(processed.stdout, [])


def test_json_keeps_free_text_exactly_with_nothing_raw_that_drives_a_terminal(
    cli: Callable[..., Any], order_file: Callable[..., Path]
) -> None:
    text = hostile(FILE_CORPUS)
    cli("receive", str(order_file(_order_yaml(customer_name=f"Ada {text}"), suffix=".yaml")))
    cli("hold", "1001", "--reason", hostile(CORPUS))
    listed = cli("list", "--json")
    track = cli("track", "1001", "--json")
    assert json.loads(listed.stdout)[0]["customer_name"] == f"Ada {text}"
    view = json.loads(track.stdout)
    assert view["customer_name"] == f"Ada {text}"
    assert view["hold_reason"] == hostile(CORPUS)
    for out in (listed.stdout, track.stdout):
        assert [c for c in UNSAFE.findall(out) if c != "\n"] == []
    assert "\\u202e" in listed.stdout


def test_stock_list_shows_a_hostile_product_name_escaped(
    cli: Callable[..., Any], tmp_path: Path, rows: Callable[..., Any]
) -> None:
    text = hostile(FILE_CORPUS)
    stock = tmp_path / "stock.csv"
    stock.write_text(f'sku,name,location,on_hand\nTEA-1,"Tea {text}",A-01,5\n', encoding="utf-8")
    imported = cli("--actor", hostile(CORPUS), "stock", "import", str(stock))
    assert imported.exit_code == 0, imported.output
    assert rows("SELECT name FROM products") == [(f"Tea {text}",)]
    listed = cli("stock", "list")
    assert listed.exit_code == 0
    assert_safe(listed.stdout, FILE_CORPUS)
    assert len(listed.stdout.splitlines()) == 3
    added = cli("--actor", hostile(CORPUS), "stock", "add", "TEA-1", "2", "--reason", text)
    assert added.exit_code == 0, added.output
    assert_safe(added.stdout, [])
    assert json.loads(cli("stock", "list", "--json").stdout)[0]["name"] == f"Tea {text}"


def test_data_from_before_identifiers_were_checked_is_shown_escaped_on_one_row(
    cli: Callable[..., Any], received: str, rows: Callable[..., Any]
) -> None:
    # An order number and a SKU with a NEL, written before this version refused them.
    rows("UPDATE orders SET order_number = :n", n="10\x8501\u202e")
    rows("UPDATE order_lines SET sku = :s WHERE sku = 'MUG-WHITE'", s="MUG\x85WHITE\x1b[2J")
    listed = cli("list")
    assert listed.stdout.splitlines()[1].startswith("10\\x8501\\u202e  received")
    assert len(listed.stdout.splitlines()) == 3
    track = cli("track", "10\x8501\u202e")
    assert track.exit_code == 0, track.output
    assert_safe(track.stdout, [])
    assert "MUG\\x85WHITE\\x1b[2J  " in track.stdout
    processed = cli("process")
    assert_safe(processed.stdout, [])
    assert "held 10\\x8501\\u202e: " in processed.stdout
    assert "unknown SKU MUG\\x85WHITE\\x1b[2J" in processed.stdout


# --- Error messages carry the data: escaped too -----------------------------------------


def test_a_hostile_header_in_an_order_file_is_escaped_in_the_error(
    cli: Callable[..., Any], tmp_path: Path, rows: Callable[..., Any]
) -> None:
    path = tmp_path / "orders.csv"
    header = f"order_number,customer_name,n\x1b]8;;http://x\x1b\\ame{hostile(HIDDEN)}"
    path.write_text(f"{header}\n1001,Ada,x\n", encoding="utf-8")
    result = cli("receive", str(path))
    assert result.exit_code == 4
    assert_safe(result.stderr, [])
    assert "\\x1b]8;;http://x" in result.stderr
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_a_hostile_header_and_value_in_a_stock_file_are_escaped_in_the_error(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku,on_hand,n\u202eame\x1b[2J\nTEA-1,x\x9b2J\u2028,Tea\n", encoding="utf-8")
    result = cli("stock", "import", str(path))
    assert result.exit_code == 4
    assert_safe(result.stderr, [])
    assert "n\\u202eame\\x1b[2" in result.stderr
    assert "x\\x9b2J\\u2028" in result.stderr


def test_refused_rows_of_skip_invalid_are_escaped(
    cli: Callable[..., Any], tmp_path: Path, order_file: Callable[..., Path]
) -> None:
    # A field that is not one of an order's: its name is echoed in the refusal.
    path = order_file(_order_yaml(**{f"x{hostile(FILE_CORPUS)}": "1"}))
    rejects = tmp_path / "rejects.yaml"
    result = cli("receive", str(path), "--skip-invalid", "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    assert "refused:" in result.stderr
    assert_safe(result.stderr, FILE_CORPUS)


def test_a_hostile_file_name_or_option_value_is_escaped_in_the_error(
    cli: Callable[..., Any], tmp_path: Path, received: str
) -> None:
    missing = cli("receive", str(tmp_path / f"{CSI_CLEAR[0]}{BIDI_OVERRIDE[0]}{NEL[0]}.csv"))
    assert missing.exit_code == 3
    assert_safe(missing.stderr, [CSI_CLEAR, BIDI_OVERRIDE, NEL])
    usage = cli("list", "--status", f"{CSI_CLEAR[0]}{BIDI_OVERRIDE[0]}{NEL[0]}")
    assert usage.exit_code == 2
    assert_safe(usage.stderr, [])
    assert "\\x1b[2J\\u202etxt.exe" in usage.stderr
    assert len(usage.stderr.splitlines()) == 1
    unknown = cli("track", f"{CSI_CLEAR[0]}{LINK_MARKUP[0]}")
    assert unknown.exit_code == 3
    assert_safe(unknown.stderr, [CSI_CLEAR, LINK_MARKUP])


# --- Identifiers refuse them -----------------------------------------------------------


@pytest.mark.parametrize(("raw", "seen"), HIDDEN, ids=[s for _, s in HIDDEN])
@pytest.mark.parametrize("field", ["order_number", "sku"])
def test_an_identifier_in_an_order_file_refuses_hidden_characters(
    cli: Callable[..., Any],
    order_file: Callable[..., Path],
    rows: Callable[..., Any],
    field: str,
    raw: str,
    seen: str,
) -> None:
    hidden = UNSAFE.search(raw)
    assert hidden is not None
    # Inside, and at the end (where stripping blanks would have taken a NEL off unseen).
    for value in (f"X{raw}1", f"X1{hidden.group()}"):
        result = cli("receive", str(order_file(_order_yaml(**{field: value}))))
        assert result.exit_code == 4, result.output
        assert f"'{field}'" in result.stderr
        assert "invisible or control character" in result.stderr
        assert_safe(result.stderr, [])
    assert rows("SELECT count(*) FROM orders") == [(0,)]


@pytest.mark.parametrize(("raw", "seen"), HIDDEN, ids=[s for _, s in HIDDEN])
def test_quick_entry_refuses_hidden_characters_in_the_order_number_and_line_sku(
    cli: Callable[..., Any], rows: Callable[..., Any], raw: str, seen: str
) -> None:
    base = ["receive", "--customer-name", "Ada", "--address1", "1 Road", "--city", "Leeds",
            "--country", "GB"]  # fmt: skip
    number = cli(*base, "--order-number", f"10{raw}01", "--line", "TEA-1:1")
    sku = cli(*base, "--order-number", "1001", "--line", f"TEA{raw}1:1")
    assert (number.exit_code, sku.exit_code) == (4, 4)
    assert "'order_number'" in number.stderr and "'sku'" in sku.stderr
    assert rows("SELECT count(*) FROM orders") == [(0,)]


@pytest.mark.parametrize(("raw", "seen"), HIDDEN, ids=[s for _, s in HIDDEN])
@pytest.mark.parametrize("column", ["sku", "location"])
def test_stock_import_refuses_hidden_characters_in_skus_and_bins(
    cli: Callable[..., Any], tmp_path: Path, rows: Callable[..., Any], column: str, raw: str,
    seen: str,
) -> None:  # fmt: skip
    fields = {"sku": "TEA-1", "location": "A-01", column: f"B-0{raw}1"}
    path = tmp_path / "stock.csv"
    text = f"sku,location,on_hand\n{fields['sku']},{fields['location']},5\n"
    path.write_text(text, encoding="utf-8")
    result = cli("stock", "import", str(path))
    assert result.exit_code == 4, result.output
    assert f"column '{column}'" in result.stderr
    assert_safe(result.stderr, [])
    assert rows("SELECT count(*) FROM products") == [(0,)]


@pytest.mark.parametrize(("raw", "seen"), HIDDEN, ids=[s for _, s in HIDDEN])
def test_stock_add_refuses_hidden_characters_in_the_sku_and_location(
    cli: Callable[..., Any], tmp_path: Path, rows: Callable[..., Any], raw: str, seen: str
) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku,location,on_hand\nTEA-1,A-01,5\n")
    assert cli("stock", "import", str(path)).exit_code == 0
    sku = cli("stock", "add", f"TEA-1{raw}", "3")
    location = cli("stock", "add", "TEA-1", "3", "--location", f"A-01{raw}")
    assert (sku.exit_code, location.exit_code) == (4, 4), sku.output + location.output
    assert sku.stderr.startswith("error: SKU ")
    assert location.stderr.startswith("error: --location ")
    assert_safe(sku.stderr + location.stderr, [])
    assert rows("SELECT on_hand FROM stock") == [(5,)]


# --- Narrow terminals -------------------------------------------------------------------

LONG_ORDER = "SHOP-2026-11-000000000123456"
LONG_SKU = "TEA-EARLGREY-LOOSE-1KG"
LONG_BIN = "Z12-A07-S3-B9"  # with the SKU, just fits 40 columns: nothing else does


def in_terminal(*args: str, db: str, columns: int, env: dict[str, str] | None = None) -> str:
    """`orderops ARGS` in a pseudo-terminal `columns` wide: what a person sees, with
    Rich's own styling (bold headers) taken out."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    full_env = {**os.environ, "ORDEROPS_DB": db, "TERM": "xterm"}
    for name in ("ORDEROPS_DEBUG", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"):
        full_env.pop(name, None)
    full_env.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "orderops", *args],
        stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=full_env,
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0, b"".join(chunks)
    output = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    return re.sub(r"\x1b\[[0-9;]*m", "", output)


def table_lines(output: str) -> list[str]:
    """The table's lines: what orderops prints after it (the note on columns left
    out, the count) is plain text, wrapped by the terminal itself."""
    return [line for line in output.splitlines() if not line.startswith("(not shown")][:-1]


@pytest.fixture
def long_identifiers(
    cli: Callable[..., Any], order_file: Callable[..., Path], tmp_path: Path
) -> None:
    long_name = "Augusta Ada King, Countess of Lovelace, née Byron"
    order = _order_yaml(order_number=LONG_ORDER, sku=LONG_SKU, customer_name=long_name,
                        product="Earl Grey loose leaf tea in a one kilogram tin")  # fmt: skip
    assert cli("receive", str(order_file(order))).exit_code == 0
    stock = tmp_path / "stock.csv"
    stock.write_text(f"sku,name,location,on_hand\n{LONG_SKU},Earl Grey,{LONG_BIN},5\n")
    assert cli("stock", "import", str(stock)).exit_code == 0
    assert cli("--actor", long_name, "hold", LONG_ORDER, "--reason", "call back").exit_code == 0


needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


@needs_pty
@pytest.mark.parametrize("columns", [40, 60])
def test_a_narrow_terminal_shows_order_numbers_skus_and_bins_whole(
    db_url: str, long_identifiers: None, columns: int
) -> None:
    listed = in_terminal("list", db=db_url, columns=columns)
    track = in_terminal("track", LONG_ORDER, db=db_url, columns=columns)
    stock = in_terminal("stock", "list", db=db_url, columns=columns)
    for output in (listed, track, stock):
        assert "…" not in output and "..." not in output, output
    for output in (listed, stock):
        assert max(map(len, table_lines(output))) <= columns, output
    assert any(line.startswith(LONG_ORDER) for line in listed.splitlines()), listed
    assert LONG_ORDER in track
    assert any(line.startswith(LONG_SKU) for line in track.splitlines()), track
    assert any(line.startswith(LONG_SKU) for line in stock.splitlines()), stock
    assert LONG_BIN in stock, stock
    assert "not shown at this width: " in listed + stock


@needs_pty
def test_columns_from_the_environment_are_honoured_the_same_way(
    db_url: str, long_identifiers: None
) -> None:
    stock = in_terminal("stock", "list", db=db_url, columns=200, env={"COLUMNS": "40"})
    assert any(line.startswith(LONG_SKU) for line in stock.splitlines()), stock
    assert LONG_BIN in stock
    assert max(map(len, table_lines(stock))) <= 40, stock


@needs_pty
def test_a_wide_terminal_shows_every_column(db_url: str, long_identifiers: None) -> None:
    listed = in_terminal("list", db=db_url, columns=200)
    assert "Augusta Ada King, Countess of Lovelace, née Byron" in listed
    assert "not shown" not in listed


@needs_pty
def test_an_identifier_wider_than_the_terminal_is_folded_not_cut(
    db_url: str, long_identifiers: None
) -> None:
    listed = in_terminal("list", db=db_url, columns=20)
    assert "…" not in listed
    assert max(map(len, table_lines(listed))) <= 20, listed
    assert LONG_ORDER in "".join(line.strip() for line in table_lines(listed)), listed


@needs_pty
def test_a_terminal_never_receives_the_datas_escape_sequences(
    db_url: str, cli: Callable[..., Any], order_file: Callable[..., Path]
) -> None:
    cli("receive", str(order_file(_order_yaml(customer_name=hostile(FILE_CORPUS)))))
    cli("--actor", hostile(CORPUS), "hold", "1001", "--reason", hostile(CORPUS))
    for args in (("list",), ("track", "1001")):
        seen = in_terminal(*args, db=db_url, columns=200)
        # Rich's own bold is taken out by in_terminal; no other escape may be left.
        assert "\x1b" not in seen and "\x9b" not in seen
        assert_safe(seen, FILE_CORPUS if args == ("list",) else CORPUS)
