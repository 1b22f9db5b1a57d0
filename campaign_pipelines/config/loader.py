"""Load and validate a campaign config, reporting errors with the file, line and field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from campaign_pipelines import paths
from campaign_pipelines.config import references
from campaign_pipelines.config.models import CampaignConfig

BUNDLED_DEMO_CONFIG = Path(__file__).with_name("nc_demo.yaml")


class ConfigError(ValueError):
    """A campaign config file that cannot be used; the message names file, line and field."""


def default_config_path() -> Path:
    """``CAMPAIGN_CONFIG`` if set, else the bundled North Carolina demo campaign."""
    configured = os.environ.get("CAMPAIGN_CONFIG")
    return Path(configured).expanduser().resolve() if configured else BUNDLED_DEMO_CONFIG


def load_config(path: str | Path | None = None) -> CampaignConfig:
    path = Path(path) if path is not None else default_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: campaign config file not found") from e
    except IsADirectoryError as e:
        raise ConfigError(f"{path}: is a folder; point at the campaign config file in it") from e
    except UnicodeDecodeError as e:
        line = 1 + e.object[: e.start].count(b"\n")
        raise ConfigError(
            f"{path}:{line}: not UTF-8 (byte 0x{e.object[e.start]:02x}); save the file as UTF-8"
        ) from e
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(e, 'problem', e)}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping at the top of the campaign config")
    _refuse_duplicate_keys(path, root)
    try:
        config = CampaignConfig.model_validate(data)
    except ValidationError as e:
        problems = [(tuple(item["loc"]), item["msg"]) for item in e.errors()]
        raise ConfigError(_describe(path, root, problems)) from e
    unresolved = references.problems(config)
    if unresolved:
        raise ConfigError(_describe(path, root, unresolved))
    return config.model_copy(update={"source_path": path.resolve()})


def _refuse_duplicate_keys(path: Path, node: Any, where: str = "") -> None:
    """YAML keeps the last of two equal keys without a word; a config must not (which one did
    the author mean?)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            field = f"{where}.{name}" if where else name
            if name in seen:
                raise ConfigError(
                    f"{path}:{key.start_mark.line + 1}: {field}: given twice in the same mapping"
                )
            seen.add(name)
            _refuse_duplicate_keys(path, value, field)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(path, item, f"{where}.{index}")


def resolve_path(config: CampaignConfig, raw: str) -> Path:
    """Expand ``{data_dir}``/``{state_dir}``; other relative paths are relative to the config."""
    expanded = raw
    if "{data_dir}" in expanded:
        expanded = expanded.replace("{data_dir}", str(paths.data_dir()))
    if "{state_dir}" in expanded:
        expanded = expanded.replace("{state_dir}", str(paths.state_dir()))
    candidate = Path(expanded).expanduser()
    if not candidate.is_absolute() and config.source_path is not None:
        candidate = config.source_path.parent / candidate
    return candidate.resolve()


def _describe(
    path: Path, root: yaml.Node | None, problems: list[tuple[tuple[Any, ...], str]]
) -> str:
    """One line per problem (its location in the config, and what is wrong), with its line."""
    lines = [f"{path}: invalid campaign config ({len(problems)} problem(s))"]
    for loc, message in problems:
        field = ".".join(str(part) for part in loc) or "(top level)"
        lines.append(f"  {path}:{_line_of(root, loc)}: {field}: {message}")
    return "\n".join(lines)


def _line_of(node: Any, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest YAML node on ``loc`` that exists in the file."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                return line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line
