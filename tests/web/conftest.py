"""Web page fixtures: the API tests' app and users, and the seeded world every page test reads."""

import pytest

from tests.api.conftest import *  # noqa: F403
from tests.api.conftest import Api
from tests.api.factories import World, world


@pytest.fixture
def w(api: Api) -> World:
    """Elections, constituencies, alerts and users seeded through the services."""
    with api.session() as db:
        return world(db)
