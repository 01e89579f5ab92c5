"""Upload page without a browser: sign-in gate (nothing configured, password) and the hash-password command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from base.i18n import t
from etl.ingest.auth import hash_password, verify_password

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard.py")


def _upload_page(**secrets: dict) -> AppTest:
    """The upload page inside the app: a first run registers the pages, then the page is the one run."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in secrets.items():
        at.secrets[key] = value
    return at


def _open(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("pages/upload.py")
    return at.run()


def test_without_sign_in_configured_the_page_explains_and_takes_no_file(app_env: Path) -> None:
    at = _upload_page()
    at.query_params["lang"] = "en"
    _open(at)
    assert not at.exception
    assert any("hash-password" in w.value for w in at.warning)
    assert not at.get("file_uploader")
    assert not at.text_input


def test_password_gate(app_env: Path) -> None:
    at = _open(_upload_page(upload={"password_hash": hash_password("kata-sandi-uji-123")}))
    assert not at.exception
    at.text_input(key="upload_password").input("salah")  # inside a form: the value goes with the submit
    at.button[0].click().run()
    assert any("salah" in e.value.lower() for e in at.error)  # Indonesian by default
    at.text_input(key="upload_password").input("kata-sandi-uji-123")
    at.button[0].click().run()
    assert not at.exception
    assert at.radio(key="upload_dataset").value == "service_requests"
    assert [w.value for w in at.warning] == [t("app.sample_banner", "id")]  # only the sample-data banner


def test_hash_password_command() -> None:
    out = subprocess.run([sys.executable, "-m", "etl", "hash-password"], input="a-long-password\n", cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("password_hash"))
    stored = line.split("=", 1)[1].strip().strip('"')
    assert "[upload]" in out and verify_password("a-long-password", stored)
    assert not verify_password("another-password", stored)
    short = subprocess.run([sys.executable, "-m", "etl", "hash-password"], input="short\n", cwd=ROOT,
                           capture_output=True, text=True)
    assert short.returncode == 2
