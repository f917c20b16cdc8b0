"""MkDocs hooks for the revcomp site (wired up in mkdocs.yml under ``hooks:``).

1. Chart rendering: sets ``REVCOMP_SITE_RENDERER=1`` before any notebook page
   runs. The Jupyter kernels that mkdocs-jupyter starts inherit the
   environment, so ``import revcomp.charts`` in a page switches Altair to the
   offline ``revcomp-site`` renderer (see revcomp/charts.py and
   docs/javascripts/charts.js).

2. No stale output: mkdocs-jupyter's cache keys on the notebook text and the
   plugin options only, so a change in ``revcomp/`` would not re-run pages.
   The cache is therefore off. For quick local iteration set
   ``REVCOMP_DOCS_CACHE=1``: the cache is then on, in a folder named after a
   hash of every file under ``revcomp/``, so a library change still
   re-executes every page.

3. Shared notebook assets: mkdocs-jupyter inlines ~580 KB of notebook CSS and
   its scripts into every notebook page. The ``<style>`` blocks move to
   ``assets/stylesheets/notebook.css`` and the plain inline scripts (the code
   cells' copy button) to ``assets/javascripts/notebook.js``, both written once
   per build. Each notebook page links the stylesheet from its content, so it
   never applies to Markdown pages and follows instant navigation; notebook.js
   is in mkdocs.yml's extra_javascript. A browser fetches and caches each once.
   The MathJax and Mermaid loaders are dropped: both would fetch from a CDN
   (the MathJax one even has an empty ``src``), so notebook pages render no TeX
   math and no Mermaid diagrams.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.revcomp")

NOTEBOOK_CSS = "assets/stylesheets/notebook.css"
NOTEBOOK_JS = "assets/javascripts/notebook.js"
LIBRARY_DIR = "revcomp"

_WRAPPER = '<div class="jupyter-wrapper">'
_BLOCK_RE = re.compile(r"<(style|script)\b([^>]*)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
# Collected once per build: text -> None (ordered sets).
_css_blocks: dict[str, None] = {}
_js_blocks: dict[str, None] = {}


def _library_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / LIBRARY_DIR).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def on_startup(command: str, dirty: bool, **_: Any) -> None:
    os.environ["REVCOMP_SITE_RENDERER"] = "1"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    os.environ["REVCOMP_SITE_RENDERER"] = "1"  # also when built via the API
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None:
        return config
    if os.environ.get("REVCOMP_DOCS_CACHE") == "1":
        root = Path(config.config_file_path).parent
        parent = root / ".cache" / "mkdocs-jupyter"
        current = parent / _library_hash(root)
        for old in parent.glob("*"):  # caches of earlier library versions
            if old != current and old.is_dir() and re.fullmatch(r"[0-9a-f]{16}", old.name):
                shutil.rmtree(old)
        plugin.config["cache"] = True
        plugin.config["cache_dir"] = str(current)
        log.info("notebook cache on: %s", current)
    else:
        plugin.config["cache"] = False
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    _css_blocks.clear()
    _js_blocks.clear()


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # mkdocs-jupyter's template emits its styles and scripts before the notebook
    # wrapper; whatever is inside the wrapper (cell outputs) is left alone.
    head, sep, body = html.partition(_WRAPPER)
    if not sep:
        return html

    def take(match: re.Match[str]) -> str:
        tag, attrs, text = match.group(1).lower(), match.group(2), match.group(3).strip()
        if tag == "style":
            _css_blocks[text] = None
        elif "src=" not in attrs and "type=" not in attrs:
            _js_blocks[text] = None  # the clipboard-copy button of code cells
        # Dropped: the MathJax loader (mkdocs-jupyter leaves its src empty, so the
        # browser would load the page itself as a script) and its config, and the
        # Mermaid loader, which imports from a CDN.
        return ""

    page_css = [m.group(3).strip() for m in _BLOCK_RE.finditer(head) if m.group(1).lower() == "style"]
    head = _BLOCK_RE.sub(take, head)
    leftover = _COMMENT_RE.sub("", head).strip()
    if "<script" in leftover or "<style" in leftover:  # the template changed: look again
        log.warning("unexpected <script>/<style> left in notebook page %s", page.file.src_path)
    # The stylesheet link sits in the page content, not in <head>: it then applies to
    # notebook pages only (its JupyterLab rules include global `table` and `pre` rules),
    # and Material's instant navigation swaps it in and out with the content.
    version = hashlib.sha256("\n".join(page_css).encode()).hexdigest()[:10]
    href = get_relative_url(NOTEBOOK_CSS, page.url)
    link = f'<link rel="stylesheet" href="{href}?v={version}">'
    return link + leftover + sep + body


def _write(config: MkDocsConfig, path: str, header: str, blocks: dict[str, None]) -> None:
    target = Path(config.site_dir) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + "\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")


def on_post_build(config: MkDocsConfig) -> None:
    header = "/* Collected from mkdocs-jupyter pages by docs/hooks/site_hooks.py */"
    _write(config, NOTEBOOK_CSS, header, _css_blocks)
    _write(config, NOTEBOOK_JS, header, _js_blocks)
