"""The sample browser (`GET /`) in a real headless Chromium, driven by Playwright.

Chromium is Debian's (`/usr/bin/chromium`, installed by the Makefile's test
set-up); Playwright only drives it, nothing is downloaded. The page must load,
show a grid, change the grid when the seed changes, offer a label picker for
a conditional generator, and draw the interpolation strip.

Run as a script, it serves an exported generator and saves the screenshot
used in docs/serving.md:

    python -m tests.browser_test runs/demo/conditional_generator docs/images/server_page.png
"""

import os
import shutil
import sys

import pytest

import keras_gan
from tests.conditional_test import CLASSES, conditional_models
from tests.server_test import Server

pytestmark = pytest.mark.tensorflow_only("serves a SavedModel exported on the TensorFlow backend")

CHROMIUM = os.environ.get("KERAS_GAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# The machine's network is closed: without these Chromium spends its start-up
# on refused connections to Google's services.
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


def launch(playwright):
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"no Chromium at {CHROMIUM!r}: `make test` installs Debian's chromium "
            "(apt-get install chromium); set KERAS_GAN_CHROMIUM to use another binary"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def grid_loaded(page, selector="#grid"):
    """Waits until the <img> shows a decoded picture; returns its natural size."""
    page.wait_for_function(
        f"() => {{ const i = document.querySelector('{selector}');"
        " return i.complete && i.naturalWidth > 0 && i.dataset.seed !== undefined; }",
        timeout=30_000,
    )
    return page.eval_on_selector(selector, "i => [i.naturalWidth, i.naturalHeight]")


def pixels(page, selector="#grid"):
    """The <img>'s decoded pixels, read back through a canvas (RGBA bytes)."""
    return page.eval_on_selector(
        selector,
        """i => { const c = document.createElement('canvas');
                  c.width = i.naturalWidth; c.height = i.naturalHeight;
                  const g = c.getContext('2d'); g.drawImage(i, 0, 0);
                  return Array.from(g.getImageData(0, 0, c.width, c.height).data); }""",
    )


def redrawn(page, action, selector="#grid"):
    """Runs `action` and waits until the image shows the new picture it asked for."""
    old = page.eval_on_selector(selector, "i => i.src")
    action()
    page.wait_for_function(
        "([selector, old]) => { const i = document.querySelector(selector);"
        " return i.src !== old && i.complete && i.naturalWidth > 0; }",
        arg=[selector, old],
        timeout=30_000,
    )


def set_seed(page, seed):
    """Types a seed (the page redraws on change) and waits for its grid."""
    page.fill("#seed", str(seed))
    redrawn(page, lambda: page.dispatch_event("#seed", "change"))
    assert page.eval_on_selector("#grid", "i => i.dataset.seed") == str(seed)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # a dev dependency: no skip

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def image_server(tmp_path_factory):
    gan = keras_gan.GAN(
        keras_gan.models.dcgan_generator(latent_dim=8, image_size=8, width=8),
        keras_gan.models.dcgan_discriminator(image_size=8, width=8),
        seed=0,
    )
    srv = Server(gan.export_generator(tmp_path_factory.mktemp("browse") / "generator"))
    yield srv
    srv.close()


def test_page_shows_a_grid_that_follows_the_seed(browser, image_server, tmp_path):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(image_server.url + "/")
    assert page.title() == "keras-gan generator"
    # 64 samples of 8x8 in an 8x8 grid with 1-pixel gaps, scaled x4 by the server.
    assert grid_loaded(page) == [(8 * 9 + 1) * 4] * 2
    assert page.is_hidden("#label-box")  # not conditional
    first = pixels(page)
    set_seed(page, 7)
    second = pixels(page)
    assert len(second) == len(first) and second != first
    set_seed(page, 0)
    assert pixels(page) == first  # the same seed draws the same grid
    grid_loaded(page, "#strip")
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.text_content("#status") == ""
    assert not errors, errors
    page.close()


def test_page_reports_a_bad_request(browser, image_server):
    page = browser.new_page()
    page.goto(image_server.url + "/")
    grid_loaded(page)
    page.fill("#n", "100000")  # above the server's max_n
    page.click("#go")
    page.wait_for_function("() => document.querySelector('#status').textContent !== ''")
    assert "n" in page.text_content("#status") and "100000" in page.text_content("#status")
    # The interpolation strip, requested at load and answered after the bad
    # request under load, once cleared the error (a flaky failure); a
    # successful strip leaves it, a good grid request clears it.
    grid_loaded(page, "#strip")
    redrawn(page, lambda: page.click("#lerp"), "#strip")
    assert "100000" in page.text_content("#status")
    page.fill("#n", "4")
    redrawn(page, lambda: page.click("#go"))
    assert page.text_content("#status") == ""
    page.close()


def test_conditional_page_has_a_label_picker(browser, tmp_path):
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES, seed=0)
    srv = Server(gan.export_generator(tmp_path / "generator"))
    try:
        page = browser.new_page()
        page.goto(srv.url + "/")
        grid_loaded(page)
        assert page.is_visible("#label-box")
        options = page.eval_on_selector_all("#label option", "os => os.map(o => o.value)")
        assert options == [""] + [str(k) for k in range(CLASSES)]
        all_labels = pixels(page)
        page.select_option("#label", "1")
        redrawn(page, lambda: page.click("#go"))
        assert pixels(page) != all_labels
        page.close()
    finally:
        srv.close()


def screenshot(generator_path, out_png, seed=3):
    """Serves `generator_path` and saves a screenshot of the page to `out_png`."""
    from playwright.sync_api import sync_playwright

    srv = Server(generator_path)
    try:
        with sync_playwright() as playwright:
            chromium = launch(playwright)
            page = chromium.new_page(viewport={"width": 1000, "height": 900})
            page.goto(srv.url + "/")
            grid_loaded(page)
            set_seed(page, seed)
            grid_loaded(page, "#strip")
            page.screenshot(path=str(out_png), full_page=True)
            chromium.close()
    finally:
        srv.close()
    return out_png


if __name__ == "__main__":
    print(screenshot(sys.argv[1], sys.argv[2]))
