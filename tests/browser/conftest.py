"""The console in a real Chromium (Debian's, driven by Playwright) against the whole running system.

The console runs as its own process next to the system's services (tests/system.py) and calls
their APIs; screenshots of every screen go under ``.local/screenshots`` (not committed).
"""

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, FilePayload, Page, async_playwright

from ..system import SERVICES, System, eventually, management_port, management_url, ready, running_system

__all__ = ["CONSOLE", "People", "System", "eventually", "file", "screenshot"]
CONSOLE_PORT = 18106
CONSOLE = f"http://127.0.0.1:{CONSOLE_PORT}"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots"
CHROMIUM = os.environ.get("XUEJI_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# as the machine's closed network wants it: no background connections, no sandbox as root
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--lang=zh-CN"]


def console_env(system: System) -> dict[str, str]:
    return {
        **os.environ,
        "XUEJI_ENVIRONMENT": "test",
        "XUEJI_HTTP_PORT": str(CONSOLE_PORT),
        "XUEJI_MANAGEMENT_PORT": str(management_port(CONSOLE_PORT)),
        "XUEJI_WORKFLOW_URL": f"http://127.0.0.1:{SERVICES['workflow']}",
        "XUEJI_EVIDENCE_URL": f"http://127.0.0.1:{SERVICES['evidence']}",
        "XUEJI_NOTIFY_URL": f"http://127.0.0.1:{SERVICES['notify']}",
        "XUEJI_WORKFLOW_MANAGEMENT_URL": management_url(SERVICES["workflow"]),
        "XUEJI_METRICS_URLS": ",".join(f"{name}={management_url(port)}" for name, port in SERVICES.items()),
        "XUEJI_JWT_LOCAL_KEY_DIR": str(system.keys),
        "XUEJI_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The platform's services and the console, on the real local stack."""
    with running_system(tmp_path_factory.mktemp("system")) as running:
        log = (running.home / "console.log").open("ab")
        console = subprocess.Popen([str(Path(sys.executable).parent / "xueji-console")],  # noqa: S603
                                   env=console_env(running), stdout=log, stderr=subprocess.STDOUT)
        try:
            eventually(lambda: ready(CONSOLE_PORT), 60, 0.3)
            yield running
        finally:
            console.terminate()
            console.wait(timeout=20)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


class People:
    """Browser pages, one per person signed in (each its own cookies), 1366×768 like a school PC."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.pages: list[Page] = []

    async def signed_in(self, role: str, org: str) -> Page:
        context = await self.browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                                 base_url=CONSOLE, accept_downloads=True)
        page = await context.new_page()
        page.set_default_timeout(30_000)
        await page.goto("/signin")
        await page.select_option("#role", role)
        await page.fill("#org", org)
        await page.click("button:has-text('登录')")
        await page.wait_for_load_state()
        self.pages.append(page)
        return page

    async def close(self) -> None:
        for page in self.pages:
            await page.context.close()


@pytest.fixture
async def people(browser: Browser) -> AsyncIterator[People]:
    crowd = People(browser)
    try:
        yield crowd
    finally:
        await crowd.close()


def file(name: str, content: bytes, mime_type: str = "image/jpeg") -> FilePayload:
    """A file as the registrar picks it in the upload field."""
    return {"name": name, "mimeType": mime_type, "buffer": content}


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
