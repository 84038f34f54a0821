"""``report.html`` from its jinja2 template: every label HTML-escaped, figures inline."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

from retinasim.report import build_report

CIRCUIT = "<b>odd</b> & co"
TYPE = "<i>g0</i>"
SENTENCE = "g0 <script>alert(1)</script> matters"
SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="500pt"></svg>'


class _Text(HTMLParser):
    """The page's start tags and its text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _run_folder(root: Path) -> Path:
    """A run folder with just enough saved results for a report, its labels hostile."""
    run = root / "run"
    (run / "analysis").mkdir(parents=True)
    (run / "figures").mkdir()
    (run / "provenance.json").write_text(json.dumps({"circuit": CIRCUIT}))
    (run / "analysis" / "summary.json").write_text(json.dumps({"sentences": [SENTENCE]}))
    (run / "analysis" / "cell_types.csv").write_text(
        f"cell_type,layer,dsi,critical\n{TYPE},ganglion,0.51234,True\ng1,ganglion,,False\n"
    )
    (run / "figures" / "fig3c_lesions.svg").write_text(SVG)
    return run


def test_labels_are_escaped_and_figures_are_images(tmp_path: Path) -> None:
    page = build_report(_run_folder(tmp_path)).read_text()
    parsed = _Text()
    parsed.feed(page)
    assert "script" not in parsed.tags and "b" not in parsed.tags and "i" not in parsed.tags
    text = "".join(parsed.text)
    for label in (CIRCUIT, TYPE, SENTENCE):
        assert label in text  # shown as written, not as markup
    assert "svg" not in parsed.tags and parsed.tags.count("img") == 1
    assert '<figure class="wide"><img src="data:image/svg+xml;base64,' in page  # 500 pt wide
    assert "Fig. 3C: accuracy with each cell type lesioned alone" in text
    assert "0.512" in text and "NaN" in text  # floats to 3 significant digits
    assert "This run against the paper" in text and "Provenance" in text


def test_a_figure_planted_in_the_run_folder_never_becomes_markup(tmp_path: Path) -> None:
    """N1: an SVG with a script or event handler, dropped into figures/, is shown (if at
    all) as an image, which browsers render without running anything."""
    run = _run_folder(tmp_path)
    planted = '<svg xmlns="http://www.w3.org/2000/svg" onload="document.title=1">'
    planted += "<script>document.title=2</script></svg>"
    (run / "figures" / "zz.svg").write_text(planted)
    page = build_report(run).read_text()
    parsed = _Text()
    parsed.feed(page)
    assert "script" not in parsed.tags and "svg" not in parsed.tags
    assert "onload" not in page and "document.title" not in page
    encoded = base64.b64encode(planted.encode()).decode()
    assert f'src="data:image/svg+xml;base64,{encoded}"' in page
