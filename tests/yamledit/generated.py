"""Hypothesis strategies for YAML texts in the styles people write: comments, quoting, flow and block
collections, indented and indentless lists, CRLF, several documents, a missing final newline."""

from __future__ import annotations

import random

from hypothesis import strategies as st

_KEYS = ["name", "image", "tag", "replicas", "weight", "a.b", "app", "version", "spec", "x-y", "k8s"]
_WORDS = ["nginx", "v1.2.3", "ghcr.io/acme/app:1.4", "stable", "canary", "hello world", "é"]
_TRICKY = (
    "1.10",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "1e3",
    "0x10",
    "010",
    "null",
    "~",
    "",
    " lead",
    "trail ",
    "a: b",
    "#hash",
    "a #b",
    "-",
    "- x",
    "true",
    "2001-12-14",
    "1:20",
    "'quoted'",
    '"dq"',
    "back\\slash",
    "[x]",
    "{y}",
    "x, y",
    "@at",
    "%pct",
    "`tick",
    "*star",
    "&amp",
    "!bang",
    "|pipe",
    ">gt",
    "?q",
    ":colon",
    "tab\there",
    "new\nline",
    "ünïcödé",
    "v2",
    "sha256:abc",
    "1.2.3",
)
TRICKY_STRINGS = st.sampled_from(_TRICKY) | st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
)
NEW_VALUES = TRICKY_STRINGS | st.integers(-1000, 10**6) | st.booleans()


# The documents are built by a plain random generator from one drawn seed. Drawn piece by piece, a document
# took ~30 ms of Hypothesis bookkeeping (hundreds of draws), more than the edit under test; a seed is one draw,
# and a failing example is printed whole (they are a few hundred characters), so shrinking is not missed.

_ALPHABET = "abcxyz019 _-./:#'\"\\é€😀\u00a0\u2028"


def _random_text(rnd: random.Random) -> str:
    if rnd.random() < 0.8:
        return rnd.choice(_TRICKY)
    return "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 12)))


def _scalar(rnd: random.Random) -> str:
    kind = rnd.choice(["plain", "single", "double", "int", "bool", "null", "float", "plain"])
    if kind == "plain":
        return rnd.choice(_WORDS)
    if kind == "single":
        text = _random_text(rnd)
        while "\n" in text or "\t" in text:
            text = _random_text(rnd)
        return "'" + text.replace("'", "''") + "'"
    if kind == "double":
        text = _random_text(rnd)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
    if kind == "int":
        return str(rnd.randint(-50, 5000))
    if kind == "bool":
        return rnd.choice(["true", "false", "True"])
    if kind == "null":
        return rnd.choice(["null", "~"])
    return rnd.choice(["1.5", "0.25", "1e+3", "-2.0"])


def _comment(rnd: random.Random) -> str:
    return rnd.choice(["", "", "", "  # note", " #c"])


def _trailing(rnd: random.Random) -> str:
    return rnd.choice(["", "", "", " ", "  "])


def _block(rnd: random.Random, indent: int, depth: int) -> list[str]:
    """Lines of a block mapping at ``indent``."""
    lines: list[str] = []
    keys = rnd.sample(_KEYS, rnd.randint(1, 4))
    pad = " " * indent
    for key in keys:
        if rnd.randint(0, 5) == 0:
            lines.append(pad + "# a comment line" + _trailing(rnd))
        if rnd.randint(0, 6) == 0:
            lines.append("")
        shown = f'"{key}"' if "." in key and rnd.random() < 0.5 else key
        choice = rnd.randint(0, 5 if depth < 3 else 1)
        if choice <= 1:
            lines.append(f"{pad}{shown}: {_scalar(rnd)}{_comment(rnd)}")
        elif choice == 2:
            lines.append(f"{pad}{shown}:{_trailing(rnd)}")
            lines.extend(_block(rnd, indent + rnd.choice([2, 4]), depth + 1))
        elif choice == 3:
            lines.append(f"{pad}{shown}:{_comment(rnd)}")
            seq_indent = indent + rnd.choice([0, 2])
            for _ in range(rnd.randint(1, 3)):
                if rnd.random() < 0.5:
                    lines.append(f"{' ' * seq_indent}- {_scalar(rnd)}{_comment(rnd)}")
                else:
                    inner = _block(rnd, seq_indent + 2, depth + 1)
                    lines.append(" " * seq_indent + "- " + inner[0][seq_indent + 2 :])
                    lines.extend(inner[1:])
        elif choice == 4:
            items = [_scalar(rnd) for _ in range(rnd.randint(0, 3))]
            flow_items = [i for i in items if not any(c in i for c in ",[]{}")]
            lines.append(f"{pad}{shown}: [{', '.join(flow_items)}]{_comment(rnd)}")
        else:
            pairs = {rnd.choice(_KEYS): _scalar(rnd) for _ in range(rnd.randint(1, 3))}
            body = ", ".join(f"{k}: {v}" for k, v in pairs.items() if not any(c in v for c in ",[]{}"))
            lines.append(f"{pad}{shown}: {{{body}}}{_comment(rnd)}")
    return lines


def document(seed: int) -> str:
    """One generated YAML text (one to three documents), the same for the same seed."""
    rnd = random.Random(seed)
    newline = rnd.choice(["\n", "\n", "\r\n"])
    docs = [_block(rnd, 0, 0) for _ in range(rnd.randint(1, 3))]
    out: list[str] = []
    if rnd.random() < 0.5:
        out.append("# leading comment")
    if rnd.random() < 0.5 or len(docs) > 1:
        out.append("---")
    for i, lines in enumerate(docs):
        if i:
            out.append(rnd.choice(["---", "--- # next", "---"]))
        out.extend(lines)
    text = newline.join(out)
    if rnd.random() < 0.5:
        text += newline
    return text


def documents() -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=2**64 - 1).map(document)
