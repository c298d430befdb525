"""Reading YAML safely: a size cap, the safe loader, and line numbers for messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import AuthorError

MAX_YAML_BYTES = 1_000_000  # problem, set and answer files are small; anything bigger is a mistake


@dataclass
class Document:
    """Parsed YAML plus the line of every key, so messages can point at it."""

    data: object
    file: str
    lines: dict = field(default_factory=dict)

    def line(self, *path) -> int | None:
        """Line of the deepest known prefix of ``path`` (1-based)."""
        for cut in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:cut]))
            if found is not None:
                return found
        return None

    def error(self, path, message, *, expected=None, got=None) -> AuthorError:
        dotted = ".".join(str(p) for p in path) if path else None
        return AuthorError(self.file, message, line=self.line(*path), field=dotted,
                           expected=expected, got=got)


def _record_lines(node, path, out, seen):
    """Line of every key; an aliased node is walked once (a few aliases can name 10^9 paths)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (key.value,)
            out[sub] = key.start_mark.line + 1
            _record_lines(value, sub, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = path + (i,)
            out[sub] = item.start_mark.line + 1
            _record_lines(item, sub, out, seen)


def _expanded_size(node, memo) -> int:
    """How many nodes the document holds once every alias is expanded (memoised per node)."""
    key = id(node)
    if key not in memo:
        memo[key] = 1   # provisional: guards against a recursive alias
        if isinstance(node, yaml.MappingNode):
            memo[key] += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            memo[key] += sum(_expanded_size(item, memo) for item in node.value)
    return memo[key]


def read_text(path: Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Read a UTF-8 text file, refusing huge or binary files with a clear reason."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"file is {size:,} bytes; the limit is {max_bytes:,}")
    return decode_text(path.read_bytes(), max_bytes)


def decode_text(raw: bytes, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The checks of ``read_text`` on bytes already read (a batch reads each file once)."""
    if len(raw) > max_bytes:
        raise ValueError(f"file is {len(raw):,} bytes; the limit is {max_bytes:,}")
    if b"\x00" in raw:
        raise ValueError("file is binary (contains NUL bytes), expected UTF-8 text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"file is not UTF-8 text (byte {exc.start})") from None


# libyaml's parser when present: same safe constructors, several times faster
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, file: str, *, max_nodes: int | None = None) -> Document:
    """Parse YAML text with the safe loader; YAML errors become AuthorError with a line.

    ``max_nodes`` caps the size of the document with its aliases expanded: anchors are
    legitimate YAML (PyYAML writes them for shared lists), but a few nested aliases
    can stand for billions of values (an alias bomb).
    """
    loader = _SafeLoader(text)
    lines: dict = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            if max_nodes is not None and _expanded_size(node, {}) > max_nodes:
                raise AuthorError(file, f"the document expands to more than {max_nodes:,} values "
                                        "(nested anchors and aliases)")
            _record_lines(node, (), lines, set())
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise AuthorError(file, f"invalid YAML: {problem}", line=line) from None
    finally:
        loader.dispose()
    return Document(data=data, file=file, lines=lines)


def read_author_file(path, max_bytes: int) -> str:
    """An instructor's file (problem, set, roster) as text; failures are AuthorErrors naming it."""
    path = Path(path)
    try:
        return read_text(path, max_bytes)
    except FileNotFoundError:
        raise AuthorError(path, "file not found") from None
    except (OSError, ValueError) as exc:
        raise AuthorError(path, str(exc)) from None


def load_yaml(path, max_bytes: int = MAX_YAML_BYTES) -> Document:
    """Read and parse a YAML file; every failure is an AuthorError naming the file."""
    return parse_yaml(read_author_file(path, max_bytes), str(path))
