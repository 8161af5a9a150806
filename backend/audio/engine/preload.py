"""Imported once by the forkserver that forks every engine child, so children start warm.

Nothing here runs at import but imports (and compiling the DAWproject schema): the modules a
child needs, loaded before any child exists.
"""

from backend.audio.engine import (  # noqa: F401
    child,  # noqa: F401  - first: it pins the numeric libraries to one thread
    export,
    ingest,
    mastering,
    measure,
    mixer,
    render,
)
from backend.audio.engine.dawproject import schema, writer  # noqa: F401

schema.schemas()
