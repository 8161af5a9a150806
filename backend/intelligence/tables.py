"""Intelligence tables. Users and organizations are referenced by id without foreign keys: a
domain's tables never import another domain's."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, Integer, Real, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

MODEL_KINDS = ("genre", "base", "personal")
STATUSES = ("queued", "running", "ready", "failed")


class GenreModel(Table, tablename="intelligence_model"):
    """One trained version of a model: a genre's, the all-genre base, or a creator's own."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    kind = Varchar(length=10, default="genre", index=True)
    # The genre code for genre models; "base" for the base; a slug for personal models.
    code = Varchar(length=60, index=True)
    name = Varchar(length=80, default="")
    version = Integer(default=1)
    status = Varchar(length=10, default="queued", index=True)
    error_key = Varchar(length=120, default="")
    owner_id = BigInt(null=True, default=None, index=True)  # personal models only
    organization_id = BigInt(null=True, default=None, index=True)  # shared with an organization
    job_id = Varchar(length=40, default="")
    artifact_key = Varchar(length=300, default="")
    commercial_use = Boolean(default=False)
    heldout_loss = Real(null=True, default=None)
    # Everything the model card shows: sources, licences, counts, parameters, losses, profile.
    manifest = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    trained_at = Timestamptz(null=True, default=None)


class Output(Table, tablename="intelligence_output"):
    """A generated or restyled piece: which model, version, seed and settings made it."""

    id: Serial  # added by Piccolo; declared for the type checker
    public_id = Varchar(length=40, unique=True, index=True)
    kind = Varchar(length=10, default="generate")  # generate | restyle
    owner_id = BigInt(index=True)
    model_id = Varchar(length=40, index=True)  # GenreModel.public_id
    model_code = Varchar(length=60, default="")
    model_version = Integer(default=1)
    seed = BigInt(default=0)
    settings = JSONB(default={})
    title = Varchar(length=120, default="")
    status = Varchar(length=10, default="queued", index=True)
    error_key = Varchar(length=120, default="")
    job_id = Varchar(length=40, default="")
    commercial_use = Boolean(default=False)
    longest_copy = Integer(null=True, default=None)
    copy_source = Varchar(length=120, default="")
    attempts = Integer(default=0)
    midi_key = Varchar(length=300, default="")
    audio_key = Varchar(length=300, default="")
    stems = JSONB(default={})  # part → storage key of the dry WAV
    project_id = Varchar(length=40, default="")  # the studio project it became
    # The melody as tokens, for the originality guard against later outputs; and figures shown.
    melody = JSONB(default=[])
    analysis = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    finished_at = Timestamptz(null=True, default=None)


class TagSuggestion(Table, tablename="intelligence_tag"):
    """The genre suggested for an uploaded MIDI file, with a confidence."""

    id: Serial  # added by Piccolo; declared for the type checker
    upload_id = Varchar(length=40, unique=True, index=True)
    owner_id = BigInt(index=True)
    filename = Varchar(length=255, default="")
    genre = Varchar(length=60, default="")
    confidence = Real(default=0.0)
    scores = JSONB(default={})
    status = Varchar(length=10, default="ready")  # ready | failed
    error_key = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())
