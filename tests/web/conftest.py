"""Web page fixtures: the API tests' app and users."""

from tests.api.conftest import *  # noqa: F403
