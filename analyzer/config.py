"""The run configuration: every setting a run uses, loaded and validated once, then passed down.

:func:`load_config` turns the user's :class:`Options` (the CLI's flags, the notebook API's keyword
arguments) into a frozen :class:`RunConfig`: marker thresholds (models/markers.toml or ``--settings``),
the skill map (``--skill-map``), role labels (``--roles``), the export flag rules and the spaCy
pipeline name.  Every stage below (markers, skills, report, plots, trends, evaluate) reads this object
instead of the shipped defaults, so a user's file is honoured everywhere or refused up front with a
message naming the file and key.  Nothing is read at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .markers.settings import MarkerSettings, load_settings
from .nlp import DEFAULT_PIPELINE

if TYPE_CHECKING:
    from .export import FlagRules
    from .skills import SkillMap


@dataclass(frozen=True)
class Options:
    """Options for a run over files (the CLI's flags); paths are read by :func:`load_config`."""

    format: str | None = None
    clinician: tuple[str, ...] = ()
    roles_file: str | None = None
    spacy_model: str | None = None
    settings_file: str | None = None
    skill_map_file: str | None = None
    flags_file: str | None = None
    redact: bool = False  # replace likely identifiers by [KIND], speakers by role labels (analyzer.privacy)
    force: bool = False  # score files that do not look like counselling sessions (analyzer/screening.py)


@dataclass(frozen=True, eq=False)
class RunConfig:
    """What one run is configured with; built by :func:`load_config`, never by hand-reading models/."""

    options: Options
    settings: MarkerSettings
    skill_map: SkillMap
    role_labels: dict[str, Any] = field(repr=False)
    flag_rules: FlagRules = field(repr=False)
    screening: Any = field(default=None, repr=False)  # analyzer.screening.ScreeningSettings (models/screening.toml)
    uncertainty: Any = field(default=None, repr=False)  # analyzer.uncertainty.UncertaintySettings

    @property
    def pipeline(self) -> str:
        """The spaCy pipeline name the run builds (``blank:en`` unless ``--spacy-model`` names one)."""
        return self.options.spacy_model or DEFAULT_PIPELINE

    @property
    def roles_file(self) -> str | None:
        return self.options.roles_file

    @property
    def format(self) -> str | None:
        return self.options.format

    @property
    def clinician(self) -> tuple[str, ...]:
        return self.options.clinician


def load_config(options: Options | None = None) -> RunConfig:
    """Read and validate every file ``options`` names (or the shipped defaults) once.

    Raises :class:`~analyzer.errors.ConfigError` naming the file and key for the first problem.
    """
    from .export import load_flag_rules
    from .roles import load_role_labels
    from .screening import load_screening
    from .skills import load_skill_map
    from .uncertainty import load_uncertainty

    options = options or Options()
    return RunConfig(
        options=options,
        settings=load_settings(options.settings_file),
        skill_map=load_skill_map(options.skill_map_file),
        role_labels=load_role_labels(options.roles_file),
        flag_rules=load_flag_rules(options.flags_file),
        screening=load_screening(),
        uncertainty=load_uncertainty(),
    )


@lru_cache(maxsize=1)
def default_config() -> RunConfig:
    """The shipped configuration, for API calls made without one (loaded on first use, then kept)."""
    return load_config(Options())


def options_from(mapping: dict[str, Any]) -> Options:
    """:class:`Options` from keyword arguments; an unknown name is a TypeError listing the known ones."""
    names = {f.name for f in fields(Options)}
    unknown = sorted(set(mapping) - names)
    if unknown:
        raise TypeError(f"unknown option(s) {unknown}; options are: {', '.join(sorted(names))}")
    opts = dict(mapping)
    if isinstance(opts.get("clinician"), str):
        opts["clinician"] = (opts["clinician"],)
    elif "clinician" in opts:
        opts["clinician"] = tuple(opts["clinician"] or ())
    for key in ("roles_file", "settings_file", "skill_map_file", "flags_file"):
        if isinstance(opts.get(key), Path):
            opts[key] = str(opts[key])
    return Options(**opts)
