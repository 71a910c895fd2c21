"""`python -m devserver.screenshots` (`make screenshots`): the page's pictures for the docs.

It starts the stack as `make run` does (`python -m devserver`, on free ports), opens the page in
Debian's Chromium through Playwright, loads the contract's last example (WDBC's malignant row),
presses the form's submit button and waits for the answer. It writes a desktop picture of the
whole page and a phone picture of the answer into docs/images/. Each PNG records the SHA-256 of
the page it shows and the model version that answered, so a test can tell when the pictures no
longer show the page the API serves.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from PIL import Image
from PIL.PngImagePlugin import PngInfo
from playwright.async_api import Page, async_playwright

PROJECT_DIR = Path(__file__).resolve().parent.parent
IMAGES_DIR = PROJECT_DIR / "docs" / "images"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's: Playwright's own build is never downloaded
PAGE_KEY, MODEL_KEY = "page-sha256", "model-version"  # the PNG text chunks a test reads
TIMEOUT_MS = 15_000


class Shot(NamedTuple):
    name: str
    width: int
    height: int
    full_page: bool  # else the viewport, scrolled to the answer


SHOTS = (Shot("page-desktop.png", 1280, 900, True), Shot("page-phone.png", 390, 844, False))


def page_digest(html: bytes) -> str:
    return hashlib.sha256(html).hexdigest()


@contextmanager
def running_stack() -> Iterator[str]:
    """The API's base URL while `python -m devserver` runs on free ports."""
    process = subprocess.Popen(
        [sys.executable, "-m", "devserver", "--port", "0", "--standin-port", "0"],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        output = []
        for line in process.stdout:
            if line.startswith("devserver: API on "):
                yield line.split()[3]
                return
            output.append(line)
        raise SystemExit("screenshots: the stack did not start:\n" + "".join(output))
    finally:
        process.terminate()
        process.wait()
        process.stdout.close()


async def take(page: Page, url: str, shot: Shot) -> bytes:
    await page.set_viewport_size({"width": shot.width, "height": shot.height})
    await page.goto(url)
    before = await page.inner_html("#result")
    await page.locator("button[data-row]").last.click()
    async with page.expect_response(lambda response: response.request.method == "POST"):
        await page.locator("form [type=submit]").click()
    await page.wait_for_function(
        "before => document.querySelector('#result').innerHTML !== before", arg=before
    )
    if not shot.full_page:
        await page.locator("#result").scroll_into_view_if_needed()
    return await page.screenshot(full_page=shot.full_page, animations="disabled")


def save(png: bytes, path: Path, digest: str, version: str) -> None:
    """The picture with text chunks naming what it shows, in 128 colours (a page has few; a
    third of the bytes), undithered so that text stays sharp."""
    info = PngInfo()
    info.add_text(PAGE_KEY, digest)
    info.add_text(MODEL_KEY, version)
    with Image.open(io.BytesIO(png)) as image:
        palette = image.convert("RGB").quantize(
            128, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        palette.save(path, format="PNG", pnginfo=info, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver.screenshots", description=__doc__)
    parser.add_argument("--output", type=Path, default=IMAGES_DIR, help="(docs/images)")
    options = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"screenshots: no {CHROMIUM}; `make chromium` installs Debian's", file=sys.stderr)
        return 1
    options.output.mkdir(parents=True, exist_ok=True)
    with running_stack() as url:
        with urllib.request.urlopen(f"{url}/") as answer:  # noqa: S310  (our own http://127.0.0.1)
            digest = page_digest(answer.read())
        with urllib.request.urlopen(f"{url}/health") as answer:  # noqa: S310
            version = json.load(answer)["model_version"]
        pictures = asyncio.run(take_all(url))
    for shot, png in zip(SHOTS, pictures, strict=True):
        save(png, options.output / shot.name, digest, version)
        print(f"screenshots: wrote {options.output / shot.name}")
    return 0


async def take_all(url: str) -> list[bytes]:
    """Playwright's asyncio API: its sync API runs on greenlets, which coverage cannot follow."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"]
        )
        try:
            return [
                await take(await browser.new_page(device_scale_factor=1), url, shot)
                for shot in SHOTS
            ]
        finally:
            await browser.close()


if __name__ == "__main__":
    sys.exit(main())
