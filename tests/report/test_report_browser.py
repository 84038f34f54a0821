"""``report.html`` in a real browser: Debian's Chromium, headless, driven by Playwright.

The report must load with no console error, no failed request and no script error, and every
figure must render: each inline SVG lays out at a visible size, its embedded raster images
(``<image>``, e.g. the kernels' heat maps) decode, and a screenshot of it is not blank.

Chromium is installed from Debian's packages when it is missing and this test runs as root
with apt-get (as CI does); elsewhere the test is skipped, unless
``RETINASIM_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns a missing browser into a failure.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

# Flags of a headless Chromium on a closed network (no background connections, no GPU).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

FIGURE_CHECKS = """
async () => {
  const figures = [...document.querySelectorAll('figure img')];
  const sizes = figures.map(svg => {
    const box = svg.getBoundingClientRect();
    return [box.width, box.height];
  });
  const rasters = [...document.querySelectorAll('img')];
  const decoded = await Promise.all(rasters.map(element => new Promise(resolve => {
    const source = element.getAttribute('href') || element.getAttribute('xlink:href')
      || element.getAttribute('src');
    const image = new Image();
    image.onload = () => resolve(image.naturalWidth > 0 && image.naturalHeight > 0);
    image.onerror = () => resolve(false);
    image.src = source;
  })));
  return {sizes, decoded};
}
"""


def _chromium() -> str:
    """Path of a Chromium executable, installing Debian's package where allowed."""
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        install = [apt, "install", "-y", "--no-install-recommends", "chromium"]
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, capture_output=True, env=environment).returncode != 0:
            subprocess.run([apt, "update"], capture_output=True, env=environment)
            subprocess.run(install, capture_output=True, env=environment)
        if path := shutil.which("chromium"):
            return path
    message = "Chromium is not installed (Debian package 'chromium')"
    if os.environ.get("RETINASIM_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def test_report_loads_in_headless_chromium_with_every_figure_rendered(run_dir: Path, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))

    page.goto((run_dir / "report.html").as_uri(), wait_until="load")
    checks = page.evaluate(FIGURE_CHECKS)

    assert problems == []
    n_figures = len(list((run_dir / "figures").glob("*.svg")))
    assert n_figures >= 8 and len(checks["sizes"]) == n_figures
    for width, height in checks["sizes"]:
        assert width > 100 and height > 80
    assert checks["decoded"] and all(checks["decoded"])  # every figure decodes
    for k in range(n_figures):
        shot = iio.imread(io.BytesIO(page.locator("figure img").nth(k).screenshot()))
        grey = np.asarray(shot[..., :3], dtype=float).mean(-1)
        assert grey.std() > 5, f"figure {k} rendered blank"
    assert "This run against the paper" in page.locator("h2").all_inner_texts()
    page.close()
