"""Benchmark the documentation site: build time, page weight, time to first chart.

Run from anywhere (uses this interpreter's mkdocs and Debian's /usr/bin/chromium)::

    python benchmarks/site_build.py            # print a table, write benchmarks/results/site_build.json
    python benchmarks/site_build.py --check    # also exit 1 when a budget is exceeded

What it measures:

- a clean ``mkdocs build --strict`` (every page executed, notebook cache off), wall time;
- per page: HTML size raw and gzipped (the page itself; the shared vendor scripts and the
  shared notebook stylesheet are reported once, separately), and the number of charts;
- per page with charts: time to the first chart painted in headless Chromium --
  ``performance.now()`` (milliseconds since navigation start) in the animation frame after
  the first Vega data mark appears, cold (fresh browser context, empty cache) and warm
  (same page loaded again), median of ``--runs`` loads each.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "site_build.json"
CHROMIUM = os.environ.get("REVCOMP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VENDOR_DIR = "javascripts/vendor"
SHARED_CSS = "assets/stylesheets/notebook.css"

BUDGET_BUILD_S = 60.0
BUDGET_PAGE_GZ_BYTES = 150 * 1024
BUDGET_FIRST_CHART_MS = 1000.0

# Records, in window.__revcompFirstChart, performance.now() in the frame after the first
# Vega data mark is in the DOM (that is, once the frame showing it has been painted).
FIRST_CHART_PROBE = """
(() => {
  const look = () => {
    if (document.querySelector('.revcomp-chart svg .role-mark > *, .revcomp-chart canvas')) {
      requestAnimationFrame(() => { window.__revcompFirstChart = performance.now(); });
      return;
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # browser dropped a load: fine
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def gz_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def build(site_dir: Path, site_url: str) -> float:
    env = dict(os.environ, SITE_URL=site_url, NO_MKDOCS_2_WARNING="1")
    env.pop("REVCOMP_DOCS_CACHE", None)
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "--site-dir", str(site_dir)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout[-4000:] + proc.stderr[-8000:]))
        raise SystemExit(f"mkdocs build --strict failed ({proc.returncode})")
    return elapsed


def page_stats(site_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(site_dir.rglob("*.html")):
        rel = path.relative_to(site_dir).as_posix()
        if rel == "404.html":
            continue
        data = path.read_bytes()
        rows.append(
            {
                "page": rel,
                "html_bytes": len(data),
                "html_gzip_bytes": gz_size(data),
                "charts": data.count(b'<div class="revcomp-chart"'),
            }
        )
    return rows


def shared_stats(site_dir: Path) -> dict[str, Any]:
    vendor = sorted((site_dir / VENDOR_DIR).glob("*.js"))
    css = site_dir / SHARED_CSS
    return {
        "vendor_scripts": [p.name for p in vendor],
        "vendor_bytes": sum(p.stat().st_size for p in vendor),
        "vendor_gzip_bytes": sum(gz_size(p.read_bytes()) for p in vendor),
        "notebook_css_bytes": css.stat().st_size if css.exists() else 0,
        "notebook_css_gzip_bytes": gz_size(css.read_bytes()) if css.exists() else 0,
    }


def first_chart_times(base_url: str, pages: list[str], runs: int) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for page_path in pages:
            url = base_url + page_path.removesuffix("index.html")
            cold: list[float] = []
            warm: list[float] = []
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(FIRST_CHART_PROBE)
                page = context.new_page()
                for sink in (cold, warm):
                    page.goto(url, wait_until="commit")
                    page.wait_for_function("() => window.__revcompFirstChart !== undefined", timeout=30_000)
                    sink.append(page.evaluate("window.__revcompFirstChart"))
                context.close()
            out[page_path] = {"cold_ms": statistics.median(cold), "warm_ms": statistics.median(warm)}
        browser.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="page loads per measurement (median)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a budget is exceeded")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="revcomp-site-bench-") as tmp:
        root = Path(tmp)
        handler = functools.partial(_QuietHandler, directory=str(root))
        server = _QuietServer(("127.0.0.1", 0), handler)
        base_url = f"http://127.0.0.1:{server.server_address[1]}/revcomp/"
        site_dir = root / "revcomp"
        build_s = build(site_dir, base_url)
        pages = page_stats(site_dir)
        shared = shared_stats(site_dir)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            timed = first_chart_times(base_url, [p["page"] for p in pages if p["charts"]], args.runs)
        finally:
            server.shutdown()
            server.server_close()

    over: list[str] = []
    if build_s > BUDGET_BUILD_S:
        over.append(f"build {build_s:.1f}s > {BUDGET_BUILD_S:.0f}s")
    for row in pages:
        row.update(timed.get(row["page"], {}))
        if row["html_gzip_bytes"] > BUDGET_PAGE_GZ_BYTES:
            over.append(f"{row['page']} {row['html_gzip_bytes'] / 1024:.0f} KB gz > 150 KB")
        if row.get("cold_ms", 0) > BUDGET_FIRST_CHART_MS:
            over.append(f"{row['page']} first chart {row['cold_ms']:.0f} ms > 1000 ms")

    print(f"clean build (--strict, executed, no cache): {build_s:.1f} s (budget {BUDGET_BUILD_S:.0f} s)")
    print(
        f"shared vendor scripts: {shared['vendor_bytes'] / 1024:.0f} KB, "
        f"{shared['vendor_gzip_bytes'] / 1024:.0f} KB gz; shared notebook CSS: "
        f"{shared['notebook_css_bytes'] / 1024:.0f} KB, {shared['notebook_css_gzip_bytes'] / 1024:.0f} KB gz"
    )
    header = f"{'page':40} {'KB':>7} {'KB gz':>7} {'charts':>6} {'1st chart cold ms':>18} {'warm ms':>8}"
    print(header)
    print("-" * len(header))
    for row in pages:
        cold = f"{row['cold_ms']:.0f}" if "cold_ms" in row else "-"
        warm = f"{row['warm_ms']:.0f}" if "warm_ms" in row else "-"
        print(
            f"{row['page']:40} {row['html_bytes'] / 1024:7.1f} {row['html_gzip_bytes'] / 1024:7.1f} "
            f"{row['charts']:6d} {cold:>18} {warm:>8}"
        )
    print("over budget: " + ("; ".join(over) if over else "none"))

    result = {
        "generated_unix": int(time.time()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "budgets": {
            "build_s": BUDGET_BUILD_S,
            "page_gzip_bytes": BUDGET_PAGE_GZ_BYTES,
            "first_chart_ms": BUDGET_FIRST_CHART_MS,
        },
        "build_s": round(build_s, 2),
        "shared": shared,
        "pages": pages,
        "over_budget": over,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if args.check and over else 0


if __name__ == "__main__":
    raise SystemExit(main())
