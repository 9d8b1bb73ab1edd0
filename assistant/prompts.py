"""Prompts are data: `prompts/*.toml`, each with a version, rendered strictly.

A template names its variables as `${name}`; rendering with a variable missing, or with one
the template does not use, is an error, so a renamed variable cannot silently vanish.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.config import PROJECT_ROOT
from assistant.errors import CoachError
from assistant.llm.base import Message

# A marker the system prompts carry so the output guard (and the attack evals) can tell when a
# model repeats its instructions. It is not a secret; it only has to be distinctive.
SYSTEM_CANARY = "SYSTEM-CANARY-7Q2"


class PromptError(CoachError):
    pass


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    user: str

    @staticmethod
    def _fields(template: str) -> set[str]:
        return {
            named or braced
            for _, named, braced, _ in string.Template.pattern.findall(template)
            if named or braced
        }

    def variables(self) -> set[str]:
        return self._fields(self.system) | self._fields(self.user)

    def render(self, **values: object) -> list[Message]:
        values = {"canary": SYSTEM_CANARY, **values} if "canary" in self.variables() else values
        wanted = self.variables()
        missing = wanted - values.keys()
        unused = values.keys() - wanted
        if missing or unused:
            raise PromptError(
                f"Prompt '{self.name}' ({self.version}) rendered with missing variables "
                f"{sorted(missing)} / unknown variables {sorted(unused)}.",
                "This is a bug in the coach: report it with the prompt file name.",
            )
        text = {k: str(v) for k, v in values.items()}
        system = string.Template(self.system).substitute(text)
        return [
            {"role": "system", "content": system.strip()},
            {"role": "user", "content": string.Template(self.user).substitute(text).strip()},
        ]


class PromptLibrary:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or PROJECT_ROOT / "prompts"
        self._cache: dict[str, Prompt] = {}

    def get(self, name: str) -> Prompt:
        if name not in self._cache:
            path = self.folder / f"{name}.toml"
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                prompt = Prompt(name, str(data["version"]), data["system"], data["user"])
            except FileNotFoundError as exc:
                raise PromptError(
                    f"The prompt file {path} is missing.",
                    "Restore it from the repository (git checkout prompts/).",
                ) from exc
            except (tomllib.TOMLDecodeError, KeyError) as exc:
                raise PromptError(
                    f"The prompt file {path} is invalid ({exc}).",
                    "It needs version, system and user entries.",
                ) from exc
            self._cache[name] = prompt
        return self._cache[name]

    def versions(self) -> dict[str, str]:
        return {p.stem: self.get(p.stem).version for p in sorted(self.folder.glob("*.toml"))}


@lru_cache(maxsize=1)
def default_library() -> PromptLibrary:
    return PromptLibrary()
