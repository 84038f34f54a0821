"""``comparison.md`` from its jinja2 template: labels cannot break its tables.

Read back with a real Markdown parser (markdown-it-py, which rich already installs) with
GitHub's tables enabled.
"""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from retinasim.compare.report import markdown_code, markdown_text, write_report
from retinasim.compare.runs import RunJob, failed_row

ODD = "odd|name`x`"
ERROR = "boom | bang\nsecond `line`"


def _runs_table(markdown: str) -> list[list[str]]:
    """The cells of the last table of ``markdown`` as the parser sees them (header first)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    start = max(i for i, token in enumerate(tokens) if token.type == "table_open")
    rows: list[list[str]] = []
    for token in tokens[start:]:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline":
            rows[-1].append("".join(child.content for child in token.children or []))
        elif token.type == "table_close":
            break
    return rows


def test_labels_with_pipes_backticks_and_line_breaks_stay_in_their_cells(tmp_path: Path) -> None:
    rows = [
        failed_row(RunJob("a.yaml", ODD, 0, str(tmp_path)), ERROR),
        failed_row(RunJob("b.yaml", "plain", 1, str(tmp_path)), "oops"),
    ]
    write_report(rows, tmp_path, settings={"alphas": [2.0], "note": "a|b"})
    markdown = (tmp_path / "comparison.md").read_text()
    table = _runs_table(markdown)
    assert [len(row) for row in table] == [8, 8, 8]
    assert table[0][:3] == ["circuit", "seed", "status"]
    assert table[1][:3] == [ODD, "0", "failed: boom | bang second `line`"]
    assert table[2][:3] == ["plain", "1", "failed: oops"]
    assert "- note: `a|b`" in markdown  # outside a table a code span needs no escape
    assert markdown.endswith("one seed, no spread.\n")


def test_code_spans_are_fenced_longer_than_the_backticks_they_hold() -> None:
    assert markdown_code("plain") == "`plain`"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("`x`") == "`` `x` ``"
    assert markdown_code("a|b") == "`a\\|b`" and markdown_code("a|b", in_table=False) == "`a|b`"
    assert markdown_text("a|b`c\\d\ne") == "a\\|b\\`c\\\\d e"
