"""The address /kepuasan (pages/satisfaction.py) on a fresh server's first visit: see app.nav.frame."""

from app.nav import frame

frame()
