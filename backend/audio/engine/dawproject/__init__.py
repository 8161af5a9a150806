"""DAWproject 1.0 (the open exchange format of Bitwig and PreSonus): export and import.

``Project.xsd``, ``MetaData.xsd`` and ``LICENSE`` (MIT) are vendored from bitwig/dawproject so a
clean clone validates without the shared data folder.
"""

from backend.audio.engine.dawproject.reader import read_dawproject
from backend.audio.engine.dawproject.schema import errors as schema_errors
from backend.audio.engine.dawproject.schema import validate
from backend.audio.engine.dawproject.writer import write_dawproject

__all__ = ["read_dawproject", "schema_errors", "validate", "write_dawproject"]
