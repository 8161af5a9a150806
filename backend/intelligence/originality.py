"""The originality guard: how many consecutive notes an output copies from known music.

Notes compare as tokens (pitch relative to the tonic, duration), so a copy transposed to another
key is still a copy. An index of every 4-token window in the reference melodies finds candidate
places; each is extended to the longest common run. An output copying more than ``MAX_COPY``
consecutive notes is rejected and regenerated; the longest run is stored with every output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from backend.intelligence.markov import Token

MAX_COPY = 16
# Runs are found from shared windows of this many notes; shorter shared runs (a few notes) are
# in every melody and are reported as 0.
WINDOW = 4


@dataclass
class CopyIndex:
    melodies: list[tuple[str, list[Token]]] = field(default_factory=list)
    windows: dict[tuple[Token, ...], list[tuple[int, int]]] = field(default_factory=dict)

    def add(self, name: str, tokens: Sequence[Token]) -> None:
        number = len(self.melodies)
        seq: list[Token] = [(t[0], t[1]) for t in tokens]
        self.melodies.append((name, seq))
        for i in range(len(seq) - WINDOW + 1):
            self.windows.setdefault(tuple(seq[i : i + WINDOW]), []).append((number, i))

    def longest_copy(self, tokens: Sequence[Token]) -> tuple[int, str]:
        """(length of the longest run shared with any reference melody, that melody's name)."""
        seq: list[Token] = [(t[0], t[1]) for t in tokens]
        best, source = 0, ""
        for i in range(len(seq) - WINDOW + 1):
            for number, j in self.windows.get(tuple(seq[i : i + WINDOW]), ()):
                if i > 0 and j > 0 and seq[i - 1] == self.melodies[number][1][j - 1]:
                    continue  # the run started earlier and was measured there
                ref = self.melodies[number][1]
                k = WINDOW
                while i + k < len(seq) and j + k < len(ref) and seq[i + k] == ref[j + k]:
                    k += 1
                if k > best:
                    best, source = k, self.melodies[number][0]
        return best, source


def build_index(named: Iterable[tuple[str, Sequence[Token]]]) -> CopyIndex:
    index = CopyIndex()
    for name, tokens in named:
        index.add(name, tokens)
    return index
