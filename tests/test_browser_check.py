"""tools/browser_check.py finds each defect a reader would see, and passes a clean page.

A tiny book of hand-written HTML pages, one defect each, opened in headless Chromium.
"""

import struct
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import browser_check  # noqa: E402

needs_chromium = pytest.mark.skipif(
    browser_check.find_chromium() is None,
    reason="no Chromium found (apt-get install chromium, or set $CHROMIUM): "
           "the browser check cannot run here")


def png(width: int = 2, height: int = 1) -> bytes:
    """A valid grey PNG image (8-bit greyscale)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PNG = png()


def page(body: str) -> str:
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
            "body{margin:0} article{width:600px;margin:0 auto}"
            ".highlight{overflow-x:auto}</style></head>"
            f"<body><main><article class='bd-article' role='main'>{body}"
            "</article></main></body></html>")


CLEAN = page(
    "<section id='clean'><h1>Clean</h1><p>A price of 5 dollars, a path a/b, and code "
    "<code>$x$ \\frac{1}{2}</code> that is not math.</p>"
    "<img src='ok.png' alt='ok' style='width:100px'>"
    "<div class='highlight'><pre>" + "x = 1  # " + "wide " * 200 + "</pre></div>"
    "<div class='cell_output'><pre>loss 0.25</pre></div></section>")
PAGES = {
    "clean.html": CLEAN,
    "tex.html": page("<section id='energy'><p>The energy $E = J s_i s_j$ is low.</p>"
                     "<p>Half is \\frac{1}{2}.</p></section>"),
    "image.html": page("<img src='missing.png' alt='missing'>"),
    "overflow.html": page("<section id='wide'><div id='too-wide' style='width:900px'>"
                          "wide</div></section>"),
    "overflow_800.html": page("<div id='fits-1400' style='width:900px'>wide"
                              "</div>").replace("width:600px", "width:min(90vw,1000px)"),
    "traceback.html": page("<div class='cell_output'><pre>Traceback (most recent call last):"
                           "\n  File x\nValueError: bad</pre></div>"),
    "warning.html": page("<div class='cell_output'><pre>/x.py:3: RuntimeWarning: "
                         "divide by zero</pre></div>"),
    "stderr.html": page("<div class='cell_output'><div class='output stderr'><pre>100%"
                        "</pre></div></div>"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    for name, html in PAGES.items():
        (root / name).write_text(html)
    (root / "ok.png").write_bytes(PNG)
    (root / "_static").mkdir()
    (root / "_static" / "asset.html").write_text(page("$raw$"))  # an asset, not a page
    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=tex.html" />')
    return {r.page: r for r in browser_check.check_book(root)}


def kinds(result, width=None):
    return sorted({f.kind for f in result.failures if width is None or f.width == width})


@needs_chromium
def test_every_page_is_checked_assets_and_redirects_are_not(results):
    assert sorted(results) == sorted(PAGES)


@needs_chromium
def test_the_clean_page_passes(results):
    clean = results["clean.html"]
    assert clean.failures == []
    assert clean.images == 1


@needs_chromium
def test_raw_tex_is_found_and_named(results):
    failures = results["tex.html"].failures
    assert kinds(results["tex.html"]) == ["tex"]
    details = " ".join(f.detail for f in failures)
    assert "$E = J s_i s_j$" in details and "\\frac" in details
    assert any("section #energy" in f.element for f in failures)


@needs_chromium
def test_broken_image_is_found_and_named(results):
    failures = results["image.html"].failures
    assert kinds(results["image.html"]) == ["image"]
    assert all("missing.png" in f.detail for f in failures)
    assert {f.width for f in failures} == set(browser_check.WIDTHS)


@needs_chromium
def test_overflow_is_found_and_named(results):
    failures = results["overflow.html"].failures
    assert kinds(results["overflow.html"]) == ["overflow"]
    assert all("div#too-wide" in f.element and "300 px past" in f.detail for f in failures)


@needs_chromium
def test_overflow_only_at_the_narrow_width(results):
    # the column is 90 % of the window: a 900 px block fits at 1400 px, not at 800 px
    result = results["overflow_800.html"]
    assert kinds(result, 1400) == []
    assert kinds(result, 800) == ["overflow"]


@pytest.mark.parametrize("name", ["traceback.html", "warning.html", "stderr.html"])
@needs_chromium
def test_tracebacks_and_warnings_in_outputs_are_found(results, name):
    assert kinds(results[name]) == ["output"]


@needs_chromium
def test_table_counts_pages_and_failures(results):
    text = browser_check.table(list(results.values()))
    last = text.splitlines()[-1].split()
    assert last[0] == "total" and int(last[-1]) == sum(len(r.failures) for r in
                                                         results.values())
    assert f"({len(PAGES)} pages" in text


@needs_chromium
def test_main_exit_status(tmp_path, capsys):
    (tmp_path / "index.html").write_text(CLEAN)
    (tmp_path / "ok.png").write_bytes(PNG)
    assert browser_check.main([str(tmp_path)]) == 0
    assert "all pages pass" in capsys.readouterr().out
    (tmp_path / "bad.html").write_text(PAGES["tex.html"])
    assert browser_check.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "bad.html @ 1400px [tex]" in out and "bad.html @ 800px [tex]" in out


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="html_dir"):
        browser_check.check_book(tmp_path / "absent")
    with pytest.raises(ValueError, match="widths"):
        browser_check.check_book(tmp_path, widths=[100])


def test_no_chromium_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMIUM", raising=False)
    (tmp_path / "index.html").write_text(CLEAN)
    assert browser_check.find_chromium() is None
    with pytest.raises(FileNotFoundError, match="apt-get install chromium"):
        browser_check.check_book(tmp_path)
    assert browser_check.main([str(tmp_path)]) == 2
    assert "no Chromium found" in capsys.readouterr().err
