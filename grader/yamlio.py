"""Reading YAML safely: a size cap, the safe loader, and line numbers for messages.

Every walk over a parsed document is iterative and the nesting is capped
(``MAX_YAML_DEPTH``), so no file, however deep, can reach Python's recursion limit.
Two things YAML does silently are refused instead:

* a key written twice in one mapping (YAML keeps the last value): an error naming
  the key and both lines;
* YAML 1.1 conversions of plain scalars (``1:30`` is 90, ``0x10`` is 16, ``017`` is 15,
  ``yes``/``on`` are booleans). In answer files (``as_typed=True``) such a scalar stays
  the text the student typed, so the answer language reads it (and says what is wrong
  with it); in instructors' files it is an error asking for the plain form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import AuthorError

MAX_YAML_BYTES = 1_000_000  # problem, set and answer files are small; anything bigger is a mistake
MAX_YAML_DEPTH = 50         # the bank's deepest file nests 7 levels, an answer file about 8

MESSAGES = {
    "en": {
        "invalid": "invalid YAML: {problem}",
        "too-deep": "the document is nested more than {limit} levels deep",
        "too-big": "the document expands to more than {limit:,} values (nested anchors and aliases)",
        "cycle": "an alias refers to a value that contains it (a loop)",
        "duplicate": "key '{key}' is written twice (lines {first} and {second}); "
                     "YAML would keep only the last one: remove or rename one of them",
        "coerced": "'{text}' is read by YAML as {value!r}, which is rarely what was meant; "
                   "write {hint}",
        "hint-number": "the number in decimal digits, or quote the text",
        "hint-bool": "true or false, or quote the text",
    },
    "ru": {
        "invalid": "некорректный YAML: {problem}",
        "too-deep": "вложенность документа больше {limit} уровней",
        "too-big": "документ разворачивается более чем в {limit:,} значений (вложенные якоря и ссылки)",
        "cycle": "ссылка (alias) указывает на значение, которое её содержит (цикл)",
        "duplicate": "ключ '{key}' записан дважды (строки {first} и {second}); "
                     "YAML оставил бы только последний: удалите или переименуйте один из них",
        "coerced": "YAML читает '{text}' как {value!r}, а это редко имелось в виду; напишите {hint}",
        "hint-number": "число десятичными цифрами или возьмите текст в кавычки",
        "hint-bool": "true или false или возьмите текст в кавычки",
    },
}


def _say(lang: str, message: str, **fields) -> str:
    return MESSAGES.get(lang, MESSAGES["en"])[message].format(**fields)


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


# ---------------------------------------------------------------------------------
# Scalars: the forms read as numbers and booleans without surprise (YAML 1.2 core,
# decimal only). Anything else YAML 1.1 would convert is "surprising".

_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,299})")      # longer literals stay text: the
_PLAIN_FLOAT = re.compile(                                      # answer language caps them
    r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+")
_PLAIN_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_PLAIN = {"tag:yaml.org,2002:int": _PLAIN_INT, "tag:yaml.org,2002:float": _PLAIN_FLOAT,
          "tag:yaml.org,2002:bool": _PLAIN_BOOL}
# instructors' files: any length of digits, and the infinities and NaN YAML 1.2 also has
_AUTHOR_PLAIN = {"tag:yaml.org,2002:int": re.compile(r"[-+]?(?:0|[1-9][0-9]*)"),
                 "tag:yaml.org,2002:float": re.compile(
                     _PLAIN_FLOAT.pattern + r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"),
                 "tag:yaml.org,2002:bool": _PLAIN_BOOL}
_HINTS = {"tag:yaml.org,2002:int": "hint-number", "tag:yaml.org,2002:float": "hint-number",
          "tag:yaml.org,2002:bool": "hint-bool"}


# libyaml's parser when present: same safe constructors, several times faster
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loader_classes(base):
    """(instructor loader, answer loader) over ``base``.

    The pure-Python composer recurses about three frames per nesting level, so it
    stops at ``MAX_YAML_DEPTH`` itself; libyaml's composer is C code with its own cap
    (1000 levels), and the iterative walk below applies ours.
    """
    class AuthorLoader(base):
        _depth = 0

        def compose_node(self, parent, index):      # only the pure-Python composer calls it
            self._depth += 1
            try:
                if self._depth > MAX_YAML_DEPTH + 1:         # + 1: a scalar leaf is not a level
                    raise _TooDeep(self.peek_event().start_mark.line + 1)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    class AnswerLoader(AuthorLoader):
        """Reads numbers and booleans only in their plain decimal forms; the rest stays text."""

    AnswerLoader.yaml_implicit_resolvers = {}
    for tag, pattern in _PLAIN.items():
        AnswerLoader.add_implicit_resolver(tag, re.compile(f"^(?:{pattern.pattern})$"),
                                           list("-+0123456789.tTfF"))
    for first, resolvers in base.yaml_implicit_resolvers.items():
        for tag, regexp in resolvers:
            if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"):
                AnswerLoader.add_implicit_resolver(tag, regexp, [first])
    # an explicit tag (``!!int 0x10``, ``!!float .inf``) gets the same rule: plain forms only
    AnswerLoader.add_constructor("tag:yaml.org,2002:int", _as_typed(int, _PLAIN_INT))
    AnswerLoader.add_constructor("tag:yaml.org,2002:float", _as_typed(float, _PLAIN_FLOAT))
    AnswerLoader.add_constructor("tag:yaml.org,2002:bool", _as_typed(lambda t: t.lower() == "true",
                                                                     _PLAIN_BOOL))
    for tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
        AnswerLoader.add_constructor(tag, lambda loader, node: str(node.value))
    return AuthorLoader, AnswerLoader


def _as_typed(convert, pattern):
    def construct(loader, node):
        text = str(node.value)
        if pattern.fullmatch(text):
            value = convert(text)
            if not isinstance(value, float) or math.isfinite(value):
                return value
        return text
    return construct


class _TooDeep(Exception):
    def __init__(self, line):
        self.line = line


_LOADERS = {}


def _loaders(base=None):
    base = base or _SafeLoader
    if base not in _LOADERS:
        _LOADERS[base] = _loader_classes(base)
    return _LOADERS[base]


# ---------------------------------------------------------------------------------
# One iterative walk over the composed nodes: lines, duplicates, depth, size, loops

def _children(node):
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _scalar_key(node):
    return (node.tag, node.value) if isinstance(node, yaml.ScalarNode) else None


def _inspect(root, file, lang, max_nodes, check_scalars) -> dict:
    """Line of every key; refuses duplicate keys, loops, and documents too deep or too big.

    An aliased node is walked once (a few aliases can name 10^9 paths); its height and
    expanded size are memoised, so aliases count as often as they are used.
    """
    lines: dict = {}
    height: dict = {}
    size: dict = {}
    open_nodes: set = set()
    stack = [(root, (), False)]

    def fail(message, node, **fields):
        raise AuthorError(file, _say(lang, message, **fields), line=node.start_mark.line + 1)

    while stack:
        node, path, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            kids = _children(node)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            if height[key] > MAX_YAML_DEPTH + 1:          # + 1: a scalar leaf is not a level
                fail("too-deep", node, limit=MAX_YAML_DEPTH)
            if max_nodes is not None and size[key] > max_nodes:
                fail("too-big", node, limit=max_nodes)
            continue
        if key in height:
            continue
        if key in open_nodes:
            fail("cycle", node)
        open_nodes.add(key)
        stack.append((node, path, True))
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for k, v in node.value:
                name = _scalar_key(k)
                if name is not None and name[0] != "tag:yaml.org,2002:merge":
                    if name in seen:
                        dotted = ".".join(str(p) for p in path + (k.value,))
                        fail("duplicate", k, key=dotted, first=seen[name], second=k.start_mark.line + 1)
                    seen[name] = k.start_mark.line + 1
            for k, v in reversed(node.value):
                sub = path + (k.value,)
                lines[sub] = k.start_mark.line + 1
                stack.append((v, sub, False))
                stack.append((k, path, False))
        elif isinstance(node, yaml.SequenceNode):
            for i in range(len(node.value) - 1, -1, -1):
                item = node.value[i]
                lines[path + (i,)] = item.start_mark.line + 1
                stack.append((item, path + (i,), False))
        elif check_scalars and not node.style:          # plain (libyaml says "", PyYAML None)
            pattern = _AUTHOR_PLAIN.get(node.tag)
            if pattern is not None and not pattern.fullmatch(node.value):
                value = yaml.load(node.value, Loader=yaml.SafeLoader)
                fail("coerced", node, text=node.value, value=value, hint=_say(lang, _HINTS[node.tag]))
    return lines


# ---------------------------------------------------------------------------------
# Answer files without anchors: data in one pass, no lines (nobody reads an answer
# file's key lines), the general path above for anything unusual

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _SEQ, _MAP = (_TAG + t for t in ("str", "null", "seq", "map"))
_TYPED_SCALARS = frozenset(_TAG + t for t in ("int", "float", "bool", "timestamp", "binary"))
_UNUSUAL = object()          # "take the general path"


class _Unusual(Exception):
    pass


def _tree_data(root, loader, max_nodes):
    """The data of a document written without anchors, or ``_UNUSUAL``.

    Without an anchor no node is reached twice, so there is no loop and nothing to
    memoise: the expanded size is the node count and the depth the deepest node. What
    the general path would refuse (a key twice, too deep, too big) or construct in a
    way of its own (merge keys, other tags, collections as keys, keys equal as values
    such as ``1`` and ``+1``) gives ``_UNUSUAL``; the general path, run afresh on the
    unchanged nodes, then builds the same data or words the same refusal. Scalars go
    through the loader's own constructors, so their values cannot differ.
    """
    constructors = loader.yaml_constructors

    def scalar(node):
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _NULL:
            return None
        if tag in _TYPED_SCALARS:
            return constructors[tag](loader, node)
        raise _Unusual

    def collection(node):
        if type(node) is yaml.MappingNode and node.tag == _MAP:
            return {}
        if type(node) is yaml.SequenceNode and node.tag == _SEQ:
            return []
        raise _Unusual

    try:
        if type(root) is yaml.ScalarNode:
            return scalar(root)
        data = collection(root)
        count = 1
        stack = [(root, data, 1)]          # (node, its empty container, depth: the root is 1)
        while stack:
            node, into, depth = stack.pop()
            children = node.value
            if not children:
                continue
            if depth > MAX_YAML_DEPTH:     # its children would be deeper than a scalar leaf may be
                raise _Unusual
            if type(into) is dict:
                count += 2 * len(children)
                for k, v in children:
                    if type(k) is not yaml.ScalarNode:
                        raise _Unusual
                    if type(v) is yaml.ScalarNode:
                        into[scalar(k)] = scalar(v)
                    else:
                        sub = into[scalar(k)] = collection(v)
                        stack.append((v, sub, depth + 1))
                if len(into) != len(children):
                    raise _Unusual
            else:
                count += len(children)
                for v in children:
                    if type(v) is yaml.ScalarNode:
                        into.append(scalar(v))
                    else:
                        sub = collection(v)
                        into.append(sub)
                        stack.append((v, sub, depth + 1))
            if max_nodes is not None and count > max_nodes:
                raise _Unusual
    except _Unusual:
        return _UNUSUAL
    return data


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


def parse_yaml(text: str, file: str, *, max_nodes: int | None = None, as_typed: bool = False,
               lang: str = "en", key_lines: bool = True) -> Document:
    """Parse YAML text with the safe loader; every failure is an AuthorError with a line.

    ``max_nodes`` caps the size of the document with its aliases expanded: anchors are
    legitimate YAML (PyYAML writes them for shared lists), but a few nested aliases
    can stand for billions of values (an alias bomb). ``as_typed`` is for students'
    files: scalars YAML 1.1 would convert stay text (see the module docstring); without
    it they are refused. ``lang`` is the language of the messages. ``key_lines=False``
    (with ``as_typed``) leaves ``Document.lines`` empty, for callers that never read it:
    such a document without anchors is read in one quick pass (``_tree_data``).
    """
    author_loader, answer_loader = _loaders()
    loader = (answer_loader if as_typed else author_loader)(text)
    lines: dict = {}
    try:
        node = loader.get_single_node()
        data = None
        if node is not None:
            quick = as_typed and not key_lines and "&" not in text    # "&": no anchor, no alias
            data = _tree_data(node, loader, max_nodes) if quick else _UNUSUAL
            if data is _UNUSUAL:
                found = _inspect(node, file, lang, max_nodes, check_scalars=not as_typed)
                lines = found if key_lines else {}
                data = loader.construct_document(node)
    except _TooDeep as exc:
        raise AuthorError(file, _say(lang, "too-deep", limit=MAX_YAML_DEPTH), line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        if problem == "exceeded maximum nesting depth":        # libyaml's own cap (1000)
            raise AuthorError(file, _say(lang, "too-deep", limit=MAX_YAML_DEPTH), line=line) from None
        raise AuthorError(file, _say(lang, "invalid", problem=problem), line=line) from None
    except (ValueError, RecursionError) as exc:
        # a constructor's own failure (e.g. merge keys chained hundreds deep): still a message
        raise AuthorError(file, _say(lang, "invalid", problem=str(exc) or type(exc).__name__)) from None
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
