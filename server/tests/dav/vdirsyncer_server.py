"""Rolo as a server of vdirsyncer's own DAV storage tests (DAV_SERVER=rolo).

server/tests/it/conformance.rs installs this file as tests/storage/servers/rolo/__init__.py in a
copy of the suite (from vdirsyncer's sdist) and runs the suite against a Rolo it started. The
address book comes from the environment:

  ROLO_DAV_URL       the account's address book, http://HOST:PORT/dav/addressbooks/USER/contacts/
  ROLO_DAV_USER      the account name
  ROLO_DAV_PASSWORD  a device token of that account (an "app password")

Rolo has one address book per account and refuses MKCOL, so the suite's collection tests are
off (``supports_collections = False``) and every storage points at that one book, emptied
before each test: PROPFIND Depth 1, then DELETE of each member.
"""

from __future__ import annotations

import base64
import os
import xml.etree.ElementTree as ET
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

import aiohttp
import pytest

_PROPFIND = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getetag/></d:prop></d:propfind>"""


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: DAV_SERVER=rolo needs ROLO_DAV_URL, ROLO_DAV_USER "
                    "and ROLO_DAV_PASSWORD (server/tests/it/conformance.rs sets them)")
    return value


async def _members(session: aiohttp.ClientSession, book: str) -> list[str]:
    """The hrefs of the address book's members (the book itself left out)."""
    async with session.request(
        "PROPFIND",
        book,
        data=_PROPFIND,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
    ) as r:
        body = await r.read()
        if r.status != 207:
            raise AssertionError(f"PROPFIND {book}: {r.status} {body[:500]!r}")
    book_path = unquote(urlsplit(book).path).rstrip("/")
    hrefs = []
    for response in ET.fromstring(body).iter("{DAV:}response"):
        href = response.findtext("{DAV:}href")
        if href is None:
            raise AssertionError(f"PROPFIND {book}: a response without an href: {body[:500]!r}")
        if unquote(urlsplit(urljoin(book, href)).path).rstrip("/") != book_path:
            hrefs.append(href)
    return hrefs


async def _empty_book(book: str, user: str, password: str) -> None:
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {credentials}"}) as session:
        for href in await _members(session, book):
            async with session.delete(urljoin(book, href)) as r:
                # 404: already gone.
                if r.status not in (200, 204, 404):
                    raise AssertionError(f"DELETE {href}: {r.status} {await r.text()}")
        left = await _members(session, book)
        if left:
            raise AssertionError(f"the address book is not empty after emptying it: {left}")


class ServerMixin:
    # One address book per account, and no MKCOL: the tests that create or discover
    # collections skip themselves.
    supports_collections = False

    @pytest.fixture
    def get_storage_args(self, aio_connector):
        book = _env("ROLO_DAV_URL")
        user = _env("ROLO_DAV_USER")
        password = _env("ROLO_DAV_PASSWORD")

        async def inner(collection="test"):
            # `collection` names a collection to create: Rolo has one book, so every storage
            # (whatever it asked for) is that book, emptied first.
            await _empty_book(book, user, password)
            return {
                "url": book,
                "username": user,
                "password": password,
                "connector": aio_connector,
            }

        return inner
