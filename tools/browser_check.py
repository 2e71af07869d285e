"""Open every page of the rendered book in headless Chromium and fail on what a reader would see.

    python tools/browser_check.py _build/full/_build/html
    python tools/browser_check.py _build/quick/_build/html --widths 1400 800

Each HTML page is loaded at each window width (1400 and 800 px by default), MathJax is left to
typeset and every image to load, then the page fails on

- ``tex``: raw TeX in visible text outside code (``$...$``, ``\\frac``, ``\\begin``, ``\\(``):
  markup MathJax did not typeset;
- ``image``: an image that did not load (``naturalWidth`` 0);
- ``overflow``: an element wider than the text column (it sticks out of the article, or a
  displayed equation is wider than its own box), unless it sits in a scrollable code, output or
  table wrapper;
- ``output``: a traceback or warning shown in a cell output (a stderr or error block, or a
  ``Traceback``/``Warning:`` line).

Pages that only redirect (a meta refresh, no body) are skipped. Every failure names the
page, the width and the element. A summary table gives, per page, the images and equations
checked and the failures. Exit status 1 on any failure, 2 when no Chromium is found. The
browser is Debian's ``chromium`` (``apt-get install chromium``), driven through the Chrome
DevTools protocol; ``--chromium`` or ``$CHROMIUM`` names another binary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import websocket

WIDTHS = (1400, 800)
HEIGHT = 1000
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Folders of a Sphinx build that hold assets, not pages.
ASSET_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "_downloads"}
KINDS = ("tex", "image", "overflow", "output")

# Waits for MathJax (when the page loads it) and for every image, then returns what it finds.
CHECK_JS = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  for (let i = 0; document.readyState !== 'complete' && i < 400; i++) await sleep(50);
  const mathjaxScript = document.querySelector('script[src*="mathjax" i], script[id*="MathJax"]');
  for (let i = 0; mathjaxScript && i < 200 &&
       !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) await sleep(50);
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const images = [...document.images];
  for (const img of images) img.loading = 'eager';
  await Promise.all(images.map(img => img.complete ? null : new Promise(r => {
    img.addEventListener('load', r); img.addEventListener('error', r); setTimeout(r, 10000);
  })));
  await sleep(100);

  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (typeof el.className === 'string' ? el.className : '').trim();
    if (cls) s += '.' + cls.split(/\s+/).slice(0, 3).join('.');
    const section = el.closest('section[id]');
    if (section) s += ' in section #' + section.id;
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim();
    if (text) s += ': "' + text.slice(0, 80) + (text.length > 80 ? '...' : '') + '"';
    return s;
  };
  const failures = [];
  const fail = (kind, el, detail) => failures.push({kind, element: describe(el), detail});

  // raw TeX in text outside code, scripts and typeset math
  const skip = 'script, style, noscript, code, pre, kbd, samp, textarea, .highlight, ' +
               'mjx-container, math, svg, title';
  const tex = new RegExp(String.raw`\$[^$\s][^$]{0,300}?\$|\\(?:begin|end|[dt]?frac|sqrt|` +
                         String.raw`sum|prod|int|left|right|math[a-z]+|text[a-z]*|` +
                         String.raw`operatorname|[a-zA-Z]+\{|[()\[\]])`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texParents = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || texParents.has(parent)) continue;
    const m = node.textContent.match(tex);
    if (m) { texParents.add(parent); fail('tex', parent, 'raw TeX ' + JSON.stringify(m[0])); }
  }

  // images
  for (const img of images) {
    if (!img.complete || img.naturalWidth === 0)
      fail('image', img, 'broken image ' + (img.getAttribute('src') || '(no src)'));
  }

  // overflow of the text column
  const column = ['article.bd-article', '[role="main"]', 'main', '.body']
    .map(s => document.querySelector(s)).find(e => e) || document.body;
  const box = column.getBoundingClientRect();
  const wrapper = 'pre, .highlight, .cell_output, .output, table, .table-wrapper, ' +
                  '.pst-scrollable-table-container, .margin, .sidebar, aside, ' +
                  '.headerlink, .bd-toc, .bd-sidebar-primary, .bd-sidebar-secondary';
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const insideWrapper = el => {
    for (let a = el; a && a !== column; a = a.parentElement) {
      if (a.matches(wrapper)) {
        // a code, output or table wrapper that scrolls (or sits in one that does) and
        // itself fits the column
        for (let b = a; b && b !== column; b = b.parentElement) {
          const r = b.getBoundingClientRect();
          if (scrolls(b) && r.right <= box.right + 1 && r.left >= box.left - 1) return true;
        }
        if (a.matches('.margin, .sidebar, aside, .headerlink, .bd-toc')) return true;
      }
    }
    return false;
  };
  const reported = [];
  for (const el of column.querySelectorAll('*')) {
    if (reported.some(r => r.contains(el))) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.position === 'fixed') continue;
    const math = el.matches('mjx-container[display="true"], div.math');
    const past = Math.max(r.right - box.right, box.left - r.left);
    const wider = math ? el.scrollWidth - el.clientWidth : 0;
    if ((past > 1 || wider > 1) && !insideWrapper(el)) {
      reported.push(el);
      fail('overflow', el, past > 1
        ? `${Math.round(r.width)} px wide, ${Math.round(past)} px past the text column ` +
          `(${Math.round(box.width)} px)`
        : `equation ${Math.round(el.scrollWidth)} px wide in a ${Math.round(el.clientWidth)} ` +
          `px box: scrolls sideways`);
    }
  }

  // tracebacks and warnings in cell outputs
  const outputs = document.querySelectorAll(
    '.cell_output, .output, .stderr, .traceback, .output_error');
  const outputReported = [];
  for (const el of outputs) {
    if (outputReported.some(o => o.contains(el) || el.contains(o))) continue;
    const text = el.textContent || '';
    let why = null;
    if (el.matches('.stderr, .output.stderr, .traceback, .output.error, .output_error'))
      why = 'stderr/error output';
    else if (/Traceback \(most recent call last\)/.test(text)) why = 'a traceback';
    else if (/\b[A-Za-z]*Warning:/.test(text)) why = 'a warning';
    if (why) { outputReported.push(el); fail('output', el, 'cell output shows ' + why); }
  }

  return JSON.stringify({
    images: images.length,
    equations: document.querySelectorAll('mjx-container').length,
    failures,
  });
})()
"""


@dataclasses.dataclass(frozen=True)
class Failure:
    page: str
    width: int
    kind: str
    element: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page} @ {self.width}px [{self.kind}] {self.detail}\n    {self.element}"


@dataclasses.dataclass
class PageResult:
    page: str
    images: int = 0
    equations: int = 0
    failures: list[Failure] = dataclasses.field(default_factory=list)


def find_chromium(name: str | None = None) -> str | None:
    """The Chromium binary: ``name``, ``$CHROMIUM``, or the first of CANDIDATES on the PATH."""
    for candidate in (name, os.environ.get("CHROMIUM"), *CANDIDATES):
        if candidate:
            found = shutil.which(candidate)
            if found:
                return found
    return None


def is_redirect(path: Path) -> bool:
    """True for a page that only redirects (jupyter-book's root ``index.html``)."""
    text = path.read_text(errors="replace")[:2000].lower()
    return 'http-equiv="refresh"' in text and "<body" not in text


def pages(html_dir: Path) -> list[Path]:
    """Every HTML page of a Sphinx build in path order; assets and redirects excluded."""
    return sorted(p for p in html_dir.rglob("*.html")
                  if not ASSET_DIRS.intersection(p.relative_to(html_dir).parts)
                  and not is_redirect(p))


class Browser:
    """A headless Chromium spoken to over the DevTools protocol (one websocket, one tab)."""

    def __init__(self, binary: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="browser-check-")
        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--mute-audio", "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.ws = websocket.create_connection(self._endpoint(), timeout=timeout,
                                                  suppress_origin=True)
            self._id = 0
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target,
                                     flatten=True)["sessionId"]
            self.call("Page.enable", session=True)
        except BaseException:
            self.close()
            raise

    def _endpoint(self) -> str:
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.process.returncode}")
            if port_file.exists():
                lines = port_file.read_text().split()
                if len(lines) == 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise TimeoutError("chromium did not open its DevTools port")

    def call(self, method: str, session: bool = False, **params: object) -> dict:
        self._id += 1
        message: dict = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if json.loads(self.ws.recv()).get("method") == event:
                return
        raise TimeoutError(f"no {event} within {self.timeout} s")

    def check(self, url: str, width: int) -> dict:
        """Load ``url`` in a window ``width`` px wide; what CHECK_JS finds there."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=HEIGHT, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        result = self.call("Runtime.evaluate", session=True, expression=CHECK_JS,
                           awaitPromise=True, returnByValue=True, timeout=self.timeout * 1000)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{url}: {result['exceptionDetails']}")
        return json.loads(result["result"]["value"])

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            try:
                self.ws.close()
            except OSError:
                pass
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_book(html_dir: Path, widths: Iterable[int] = WIDTHS,
               chromium: str | None = None) -> list[PageResult]:
    """Check every page under ``html_dir`` at every width; one result per page."""
    html_dir = Path(html_dir)
    if not html_dir.is_dir():
        raise ValueError(f"html_dir {str(html_dir)!r} is not a folder (build the book first)")
    widths = [int(w) for w in widths]
    if not widths or min(widths) < 200:
        raise ValueError(f"widths must be at least 200 px, got {widths}")
    binary = find_chromium(chromium)
    if binary is None:
        raise FileNotFoundError("no Chromium found: install Debian's chromium "
                                "(apt-get install chromium) or set $CHROMIUM")
    results = []
    with Browser(binary) as browser:
        for path in pages(html_dir):
            name = str(path.relative_to(html_dir))
            result = PageResult(name)
            for width in widths:
                found = browser.check(path.resolve().as_uri(), width)
                result.images, result.equations = found["images"], found["equations"]
                result.failures += [Failure(name, width, f["kind"], f["element"], f["detail"])
                                    for f in found["failures"]]
            results.append(result)
    return results


def table(results: Sequence[PageResult], widths: Sequence[int] = WIDTHS) -> str:
    """The summary: per page, images and equations checked and failures of each kind."""
    head = ["page", "images", "equations", *KINDS, "failures"]
    rows = []
    for r in results:
        counts = [sum(f.kind == k for f in r.failures) for k in KINDS]
        rows.append([r.page, r.images, r.equations, *counts, len(r.failures)])
    total = ["total" + f" ({len(results)} pages at {'/'.join(map(str, widths))} px)"]
    total += [sum(row[i] for row in rows) for i in range(1, len(head))]
    rows.append(total)
    sizes = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
    line = "  ".join([f"{{:<{sizes[0]}}}", *(f"{{:>{s}}}" for s in sizes[1:])])
    rule = "-" * (sum(sizes) + 2 * (len(sizes) - 1))
    return "\n".join([line.format(*head), rule, *(line.format(*r) for r in rows[:-1]), rule,
                      line.format(*rows[-1])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", type=Path, help="the built book, e.g. _build/full/_build/html")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS),
                        help="window widths in px (default: %(default)s)")
    parser.add_argument("--chromium", default=None, help="the Chromium binary")
    args = parser.parse_args(argv)
    try:
        results = check_book(args.html_dir, args.widths, args.chromium)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        parser.error(str(exc))
    failures = [f for r in results for f in r.failures]
    for failure in failures:
        print(failure)
    if failures:
        print()
    print(table(results, args.widths))
    print(f"\n{len(failures)} failure(s)" if failures else "\nall pages pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
