"""Rolo as a server of vdirsyncer's own DAV storage tests (DAV_SERVER=rolo).

server/tests/it/conformance.rs installs this file as tests/storage/servers/rolo/__init__.py in a
copy of the suite (from vdirsyncer's sdist) and runs the suite against a Rolo it started. The
server comes from the environment:

  ROLO_DAV_URL       Rolo's CardDAV root, http://HOST:PORT/dav/
  ROLO_DAV_USER      the account name
  ROLO_DAV_PASSWORD  a device token of that account (an "app password")

Collections are on: each test that asks for a collection gets a new address book, made the way
vdirsyncer makes one (discovery of the account's home, then MKCOL), and deleted after the test.
"""

from __future__ import annotations

import os

import pytest


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: DAV_SERVER=rolo needs ROLO_DAV_URL, ROLO_DAV_USER "
                    "and ROLO_DAV_PASSWORD (server/tests/it/conformance.rs sets them)")
    return value


class ServerMixin:
    @pytest.fixture
    def get_storage_args(self, slow_create_collection, aio_connector):
        root = _env("ROLO_DAV_URL")
        user = _env("ROLO_DAV_USER")
        password = _env("ROLO_DAV_PASSWORD")

        async def inner(collection="test"):
            args = {
                "url": root,
                "username": user,
                "password": password,
                "connector": aio_connector,
            }
            if collection is not None:
                args = await slow_create_collection(self.storage_class, args, collection)
            return args

        return inner
