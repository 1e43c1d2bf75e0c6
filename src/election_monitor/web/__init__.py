"""The observers' web dashboard: server-rendered pages mounted at ``/`` in the API's app.

Every page reads its numbers from the same ``dashboard`` service function as its JSON twin in
``/api/v1``, and every action goes through the same route function (and so the same schemas,
roles, lifecycle and audit log) as the API.
"""

from election_monitor.web.pages import router

__all__ = ["router"]
