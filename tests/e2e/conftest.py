"""End-to-end fixtures: a real `streamlit run` on 127.0.0.1 and Debian's headless Chromium.

The server runs the scripted model against a temporary data dir whose index is built first by
`coach index` (a separate process, as a user would). Playwright cannot download its own
browser here, so Chromium is launched by path; without it the tests are skipped with the fix.
Screenshots and the measured cold start go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from tests.fixtures import answers_http, coach_env, free_port, stop_process, wait_until_ready

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
BIN = Path(sys.executable).parent
SERVER_START_LIMIT = 180  # seconds; a 2-core CI machine importing chromadb cold is slow


@dataclass
class AppServer:
    url: str
    data_dir: Path
    seconds_to_first_page: float | None = None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed (/usr/bin/chromium): "
            "run `apt-get install -y chromium` (.ci/run does) to run the e2e tests."
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def launch_app(
    env: dict[str, str], log: Path, extra_args: Sequence[str] = ()
) -> tuple[str, subprocess.Popen]:
    """`streamlit run` the app on a free port with `env` (and any more `streamlit run`
    options), and wait until it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(BIN / "streamlit"),
                "run",
                str(PROJECT_ROOT / "streamlit_app.py"),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
                *extra_args,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        ready = answers_http(f"{url}/_stcore/health")
        wait_until_ready("streamlit", process, ready, SERVER_START_LIMIT, log)
    except BaseException:
        stop_process(process)
        raise
    return url, process


@pytest.fixture(scope="session")
def app_server(
    chromium_path: Path, browser: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
    env = {
        **os.environ,
        **coach_env(root / "data", root / "knowledge"),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [str(BIN / "coach"), "index"], env=env, check=True, capture_output=True, timeout=900
    )
    started = time.monotonic()
    url, process = launch_app(env, root / "streamlit.log")
    try:
        server = AppServer(url=url, data_dir=root / "data")
        # Cold start: from `streamlit run` to the first page drawn in a browser.
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(url)
        page.get_by_role("heading", name="Coach").first.wait_for(timeout=SERVER_START_LIMIT * 1000)
        server.seconds_to_first_page = time.monotonic() - started
        page.close()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "cold-start.txt").write_text(
            f"streamlit run -> first rendered page (Coach): {server.seconds_to_first_page:.1f} s\n",
            encoding="utf-8",
        )
        yield server
    finally:
        stop_process(process)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


def _show_failed_page(page: object, name: str) -> None:
    """After a failed test: a screenshot in test-artifacts/ and the page's visible text on
    stdout, which pytest prints under the failure (so a CI log shows what the browser saw)."""
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"failed-{name}.png"
        page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
        text = page.locator("body").inner_text(timeout=10_000)  # type: ignore[attr-defined]
    except Exception as err:  # noqa: BLE001 (a diagnostic must not hide the failure)
        print(f"(could not capture the failed page: {err})")
        return
    print(f"The page at {page.url} when the test failed (screenshot {shot}):")  # type: ignore[attr-defined]
    print(text[-6000:])


@pytest.fixture
def page(
    browser: object, app_server: AppServer, request: pytest.FixtureRequest
) -> Iterator[object]:
    context = browser.new_context(
        accept_downloads=True,  # type: ignore[attr-defined]
        viewport={"width": 1400, "height": 2000},
    )
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    if request.node.stash.get(_CALL_FAILED, False):
        _show_failed_page(page, request.node.name)
    context.close()


def settle(page: object) -> None:
    """Wait until the app is not running a script (Streamlit's status widget is gone)."""
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")  # type: ignore[attr-defined]


def download_file(
    page: object, button: object, folder: Path, attempts: int = 3
) -> tuple[Path, int]:
    """Click a download button and save the file into `folder`; returns the file and how many
    clicks it took. A click landing while the app reruns (e.g. just after sign-in) can be lost
    by the browser with no download at all; a person clicks again, and so does this helper,
    up to `attempts` times, each waiting 30 s."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        settle(page)
        button.wait_for(state="visible")  # type: ignore[attr-defined]
        try:
            with page.expect_download(timeout=30_000) as saved:  # type: ignore[attr-defined]
                button.click()  # type: ignore[attr-defined]
            break
        except PlaywrightTimeout:
            if attempt == attempts:
                raise
    path = folder / saved.value.suggested_filename
    saved.value.save_as(path)
    return path, attempt


@pytest.fixture
def screenshot() -> Callable[[object, str], Path]:
    """Save a full-page screenshot as test-artifacts/<name>.png."""

    def take(page: object, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take
