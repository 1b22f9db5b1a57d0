"""docs/config.md documents every key the campaign config accepts, so it cannot fall behind.

The config models are walked from ``CampaignConfig`` through nested models, lists, dicts, unions
and ``Annotated``; each model found sits at a YAML path such as ``messaging.waves[].variants[]``
(``[]`` an item of a list, ``*`` a value of a mapping with free keys). The reference must have a
section whose heading names that path in backticks, with a table row for every key of the model
(its alias when it has one, as that is what the YAML file says). No database is needed.
"""

from __future__ import annotations

import collections.abc
import importlib
import pkgutil
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
import yaml
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

import campaign_pipelines.config
from campaign_pipelines.config.base import Strict
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG
from campaign_pipelines.config.models import CampaignConfig

DOC = Path(__file__).resolve().parents[1] / "docs" / "config.md"
ROOT = "Top level"  # heading of the section documenting the top-level keys

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$")
_CODE = re.compile(r"`([^`]+)`")
_SEQUENCES = {list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.Set}
_MAPPINGS = {dict, collections.abc.Mapping}


@dataclass(frozen=True)
class Located:
    path: str  # "" for the top level
    model: type[BaseModel]
    keys: tuple[str, ...]

    @property
    def heading(self) -> str:
        return self.path or ROOT


def yaml_key(name: str, info: FieldInfo) -> str:
    """The key a YAML file uses for a field: its (validation) alias if it has one."""
    if isinstance(info.validation_alias, str):
        return info.validation_alias
    return info.alias or name


def models_in(annotation: object) -> Iterator[tuple[str, type[BaseModel]]]:
    """Each model a value of ``annotation`` may hold, with the path suffix that leads to it:
    ``""`` for the value itself, ``"[]"`` for a list item, ``".*"`` for a mapping value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "", annotation
        return
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        yield from models_in(args[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from models_in(arg)
    elif origin in _SEQUENCES:
        for arg in args:
            for suffix, model in models_in(arg):
                yield "[]" + suffix, model
    elif origin in _MAPPINGS and args:
        for suffix, model in models_in(args[-1]):
            yield ".*" + suffix, model


def config_paths(root: type[BaseModel] = CampaignConfig) -> list[Located]:
    """Every model reachable from ``root`` at every YAML path it can appear at."""
    found: list[Located] = []

    def visit(model: type[BaseModel], path: str, ancestors: tuple[type[BaseModel], ...]) -> None:
        fields = model.model_fields
        found.append(Located(path, model, tuple(yaml_key(n, f) for n, f in fields.items())))
        if model in ancestors:  # a recursive model: its fields are listed once, not forever
            return
        for name, info in fields.items():
            key = f"{path}.{yaml_key(name, info)}" if path else yaml_key(name, info)
            for suffix, inner in models_in(info.annotation):
                visit(inner, key + suffix, (*ancestors, model))

    visit(root, "", ())
    return found


def doc_sections(text: str) -> dict[str, set[str]]:
    """Section name -> keys in the first cell of its table rows. A heading names its section by
    each path in backticks in it (or by its text when it has none); fenced code is skipped."""
    sections: dict[str, set[str]] = {}
    current: list[set[str]] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(1)
            current = [sections.setdefault(name, set()) for name in _CODE.findall(title) or [title]]
        elif line.startswith("|"):
            first_cell = line.strip().strip("|").split("|")[0]
            for section in current:
                section.update(_CODE.findall(first_cell))
    return sections


def undocumented(text: str, root: type[BaseModel] = CampaignConfig) -> list[str]:
    """What the reference lacks, one line per section; empty when it documents every key."""
    sections = doc_sections(text)
    problems = []
    for located in config_paths(root):
        documented = sections.get(located.heading)
        if documented is None:
            problems.append(f"no section headed `{located.heading}` ({located.model.__name__})")
            continue
        missing = [key for key in located.keys if key not in documented]
        if missing:
            problems.append(
                f"section `{located.heading}` ({located.model.__name__}) has no row for {missing}"
            )
    return problems


def without_row(text: str, heading: str, key: str) -> str:
    """``text`` with the table row of ``key`` removed from the section named ``heading``."""
    lines, inside, removed = [], False, 0
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            inside = heading in (_CODE.findall(match.group(1)) or [match.group(1)])
        if inside and line.startswith(f"| `{key}` |"):
            removed += 1
            continue
        lines.append(line)
    assert removed == 1, f"expected one row for {key} under {heading}, found {removed}"
    return "\n".join(lines)


def test_every_config_key_is_documented():
    problems = undocumented(DOC.read_text(encoding="utf-8"))
    assert not problems, "docs/config.md is behind the config models:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        (ROOT, "messaging"),
        ("campaign", "timezone"),
        ("districts.layers[]", "min_coverage"),
        ("links.routes.*.rules[]", "catalog"),
        ("links.placements[]", "code"),
        ("messaging.waves[]", "daily_cap"),
        ("messaging.waves[].variants[]", "weight"),
        ("messaging.state_texting_hours.*", "end"),
    ],
)
def test_the_check_fails_when_a_key_loses_its_row(heading, key):
    problems = undocumented(without_row(DOC.read_text(encoding="utf-8"), heading, key))
    assert any(f"`{heading}`" in p and repr(key) in p for p in problems), problems


def test_every_config_model_is_reached_by_the_walk():
    for module in pkgutil.iter_modules(campaign_pipelines.config.__path__):
        importlib.import_module(f"campaign_pipelines.config.{module.name}")

    def subclasses(cls: type) -> set[type]:
        return {s for c in cls.__subclasses__() for s in (c, *subclasses(c))}

    package = campaign_pipelines.config.__name__
    defined = {m for m in subclasses(Strict) if m.__module__.startswith(package)}
    reached = {located.model for located in config_paths()}
    assert defined - reached == set()
    paths = {located.path for located in config_paths()}
    assert {
        "links.windows.*",
        "links.routes.*.rules[]",
        "messaging.state_texting_hours.*",
        "messaging.waves[].window",
        "messaging.waves[].variants[]",
    } <= paths


def test_the_walk_follows_lists_mappings_unions_and_aliases():
    class Leaf(BaseModel):
        x: int

    class Aliased(BaseModel):
        y: int = Field(alias="why")

    class Node(BaseModel):
        items: list[Leaf] = []
        by_name: dict[str, Leaf | None] = {}
        either: Leaf | Aliased | None = None
        wrapped: Annotated[tuple[dict[str, Aliased], ...], "note"] = ()
        child: Node | None = None
        plain: dict[str, list[int]] = {}

    found = {(located.path, located.model.__name__, located.keys) for located in config_paths(Node)}
    node_keys = ("items", "by_name", "either", "wrapped", "child", "plain")
    assert found == {
        ("", "Node", node_keys),
        ("items[]", "Leaf", ("x",)),
        ("by_name.*", "Leaf", ("x",)),
        ("either", "Leaf", ("x",)),
        ("either", "Aliased", ("why",)),
        ("wrapped[].*", "Aliased", ("why",)),
        ("child", "Node", node_keys),  # recursion stops at the repeated model
    }


def test_every_top_level_key_of_the_demo_config_is_documented():
    demo = yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))
    sections = doc_sections(DOC.read_text(encoding="utf-8"))
    assert set(demo) - sections[ROOT] == set()
    assert [key for key in demo if key not in sections] == []
