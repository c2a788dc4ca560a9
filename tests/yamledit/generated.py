"""Hypothesis strategies for YAML texts in the styles people write: comments, quoting, flow and block
collections, indented and indentless lists, CRLF, several documents, a missing final newline."""

from __future__ import annotations

from hypothesis import strategies as st

KEYS = st.sampled_from(["name", "image", "tag", "replicas", "weight", "a.b", "app", "version", "spec", "x-y", "k8s"])
PLAIN_WORDS = st.sampled_from(["nginx", "v1.2.3", "ghcr.io/acme/app:1.4", "stable", "canary", "hello world", "é"])

TRICKY_STRINGS = st.sampled_from(
    [
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
    ]
) | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
NEW_VALUES = TRICKY_STRINGS | st.integers(-1000, 10**6) | st.booleans()


@st.composite
def scalars(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "single", "double", "int", "bool", "null", "float", "plain"]))
    if kind == "plain":
        return draw(PLAIN_WORDS)
    if kind == "single":
        return "'" + draw(TRICKY_STRINGS.filter(lambda s: "\n" not in s and "\t" not in s)).replace("'", "''") + "'"
    if kind == "double":
        text = draw(TRICKY_STRINGS)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
    if kind == "int":
        return str(draw(st.integers(-50, 5000)))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false", "True"]))
    if kind == "null":
        return draw(st.sampled_from(["null", "~"]))
    return draw(st.sampled_from(["1.5", "0.25", "1e+3", "-2.0"]))


def _comment(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", "", "  # note", " #c"]))


def _trailing(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", "", " ", "  "]))


@st.composite
def _block(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    """Lines of a block mapping at ``indent``."""
    lines: list[str] = []
    keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
    pad = " " * indent
    for key in keys:
        if draw(st.integers(0, 5)) == 0:
            lines.append(pad + "# a comment line" + _trailing(draw))
        if draw(st.integers(0, 6)) == 0:
            lines.append("")
        shown = f'"{key}"' if "." in key and draw(st.booleans()) else key
        choice = draw(st.integers(0, 5 if depth < 3 else 1))
        if choice <= 1:
            lines.append(f"{pad}{shown}: {draw(scalars())}{_comment(draw)}")
        elif choice == 2:
            lines.append(f"{pad}{shown}:{_trailing(draw)}")
            lines.extend(draw(_block(indent + draw(st.sampled_from([2, 4])), depth + 1)))
        elif choice == 3:
            lines.append(f"{pad}{shown}:{_comment(draw)}")
            seq_indent = indent + draw(st.sampled_from([0, 2]))
            for _ in range(draw(st.integers(1, 3))):
                if draw(st.booleans()):
                    lines.append(f"{' ' * seq_indent}- {draw(scalars())}{_comment(draw)}")
                else:
                    inner = draw(_block(seq_indent + 2, depth + 1))
                    lines.append(" " * seq_indent + "- " + inner[0][seq_indent + 2 :])
                    lines.extend(inner[1:])
        elif choice == 4:
            items = draw(
                st.lists(scalars().filter(lambda s: not s.startswith(("'", '"')) or True), min_size=0, max_size=3)
            )
            flow_items = [
                i for i in items if "," not in i and "[" not in i and "]" not in i and "{" not in i and "}" not in i
            ]
            lines.append(f"{pad}{shown}: [{', '.join(flow_items)}]{_comment(draw)}")
        else:
            pairs = draw(st.lists(st.tuples(KEYS, scalars()), min_size=1, max_size=3, unique_by=lambda p: p[0]))
            body = ", ".join(f"{k}: {v}" for k, v in pairs if not any(c in v for c in ",[]{}"))
            lines.append(f"{pad}{shown}: {{{body}}}{_comment(draw)}")
    return lines


@st.composite
def documents(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    docs = [draw(_block(0, 0)) for _ in range(draw(st.integers(1, 3)))]
    out: list[str] = []
    if draw(st.booleans()):
        out.append("# leading comment")
    if draw(st.booleans()) or len(docs) > 1:
        out.append("---")
    for i, lines in enumerate(docs):
        if i:
            out.append(draw(st.sampled_from(["---", "--- # next", "---"])))
        out.extend(lines)
    text = newline.join(out)
    if draw(st.booleans()):
        text += newline
    return text
