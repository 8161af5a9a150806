"""Collaboration's use cases, for GraphQL, pages and other domains. Each takes an ``Actor`` and ids.

The studio (``backend.audio.access``) asks ``role_in_project`` and ``fork_source_owners``.
"""

from __future__ import annotations

from backend.collab.comments import add as add_comment
from backend.collab.comments import delete as delete_comment
from backend.collab.comments import get as get_comment
from backend.collab.comments import replies as comment_replies
from backend.collab.comments import resolve as resolve_comment
from backend.collab.comments import threads as comment_threads
from backend.collab.errors import Busy, Refused, ResyncRequired
from backend.collab.history import (
    create_snapshot,
    delete_snapshot,
    fork,
    forked_from,
    history,
    restore,
    set_forking,
    settings_of,
    snapshots,
)
from backend.collab.members import (
    accept,
    change_role,
    decline,
    invitation_for_token,
    invitations,
    invite,
    members,
    my_invitations,
    project_title,
    remove,
    revoke,
    shared_with_me,
)
from backend.collab.presence import Selection, color_of, initials_of
from backend.collab.presence import current as presence_of
from backend.collab.presence import update as update_presence
from backend.collab.roles import fork_source_owners, role_in_project, role_of
from backend.collab.signals import ice_servers
from backend.collab.signals import send as send_signal
from backend.collab.stream import project_events
from backend.collab.submit import Submitted, submit

__all__ = [
    "Busy",
    "Refused",
    "ResyncRequired",
    "Selection",
    "Submitted",
    "accept",
    "add_comment",
    "change_role",
    "color_of",
    "comment_replies",
    "comment_threads",
    "create_snapshot",
    "decline",
    "delete_comment",
    "delete_snapshot",
    "fork",
    "fork_source_owners",
    "forked_from",
    "get_comment",
    "history",
    "ice_servers",
    "initials_of",
    "invitation_for_token",
    "invitations",
    "invite",
    "members",
    "my_invitations",
    "presence_of",
    "project_title",
    "project_events",
    "remove",
    "resolve_comment",
    "restore",
    "revoke",
    "role_in_project",
    "role_of",
    "send_signal",
    "set_forking",
    "settings_of",
    "shared_with_me",
    "snapshots",
    "submit",
    "update_presence",
]
