"""A recursive-descent (precedence-climbing) parser of conditions into the frozen tree of :mod:`.language`."""

from __future__ import annotations

from promoter.core.conditions.language import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    Array,
    Binary,
    Call,
    Chain,
    Closure,
    Condition,
    Conditional,
    ConditionError,
    Constant,
    Element,
    Index,
    Node,
    Unary,
    Variable,
    children,
)
from promoter.core.conditions.tokens import END, NAME, NUMBER, OP, STRING, Token, tokenize

# expr-lang's precedence table (parser/operator): higher binds tighter.
_BINARY = {
    "or": 10,
    "and": 15,
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">=", "in", "not in"), 20),
    "+": 30,
    "-": 30,
    "*": 60,
    "/": 60,
    "%": 60,
    "**": 100,
    "??": 500,
}
_COMPARISON = 20
_UNARY = {"not": 50, "-": 90, "+": 90}
_ALIASES = {"||": "or", "&&": "and", "^": "**", "!": "not"}
_WORDS = frozenset(("or", "and", "in", "not"))  # names that are operators
_UNSUPPORTED = frozenset(("matches", "contains", "startsWith", "endsWith", "let", "if", "else"))  # expr-lang's
_RESERVED = _WORDS | _UNSUPPORTED
_REFUSED = {
    ".": "member access ('.') is not supported",
    "?.": "optional chaining ('?.') is not supported",
    "..": "ranges ('..') are not supported",
    "|": "the pipe operator ('|') is not supported",
    "{": "maps are not supported; braces are only for a predicate, as in all(result, {# < 0.5})",
    "=": "unexpected '=' (did you mean '=='?)",
}


def parse(text: str) -> Condition:
    """Read a condition; :class:`ConditionError` says where it is wrong."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition is at most {MAX_LENGTH} characters", MAX_LENGTH, text)
    parser = _Parser(text, tokenize(text))
    if parser.current.kind == END:
        raise ConditionError("empty condition", parser.current.offset, text)
    tree = parser.expression(0)
    if parser.current.kind != END:
        raise parser.unexpected()
    _check_depth(tree, text)
    return Condition(text, tree)


def _check_depth(tree: Node, text: str) -> None:
    """Left-associative chains nest without the parser recursing; the evaluator would recurse on them."""
    stack: list[tuple[Node | Closure, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConditionError("too deeply nested", node.offset, text)
        stack.extend((child, depth + 1) for child in children(node))


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.closures = 0  # how many closures the parser is inside: '#' is only meaningful there

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def peek(self) -> Token:
        return self.tokens[min(self.position + 1, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.current
        self.position += 1
        return token

    def error(self, message: str, token: Token) -> ConditionError:
        return ConditionError(message, token.offset, self.text)

    def unexpected(self) -> ConditionError:
        token = self.current
        if token.kind == END:
            return self.error("unexpected end of condition", token)
        if token.kind == OP and token.text in _REFUSED:
            return self.error(_REFUSED[token.text], token)
        if token.kind == NAME and token.text in _UNSUPPORTED:
            return self.error(f"'{token.text}' is not supported", token)
        return self.error(f"unexpected {token.text!r}", token)

    def expect(self, text: str) -> None:
        if self.current.kind != OP or self.current.text != text:
            raise self.error(f"expected {text!r}", self.current)
        self.position += 1

    def at(self, text: str) -> bool:
        return self.current.kind == OP and self.current.text == text

    def binary_op(self) -> tuple[str, int] | None:
        """The binary operator at the current token, canonically spelled, and how many tokens it spans."""
        token = self.current
        if token.kind == NAME and token.text == "not":
            after = self.peek()
            if after.kind == NAME and after.text == "in":
                return "not in", 2
            raise self.error("unexpected 'not' (did you mean 'not in'?)", token)
        if token.kind == NAME:
            return (token.text, 1) if token.text in _WORDS else None
        op = _ALIASES.get(token.text, token.text)
        return (op, 1) if token.kind == OP and op in _BINARY else None

    def expression(self, precedence: int) -> Node:
        """Precedence climbing, as expr-lang's parser: operands, then operators at least this tight."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("too deeply nested", self.current)
        left = self.operand()
        previous = ""
        while (found := self.binary_op()) is not None:
            op, width = found
            tightness = _BINARY[op]
            if tightness < precedence:
                break
            token = self.current
            if previous == "??" and op != "??":
                raise self.error(f"'??' and {op!r} cannot be mixed without parentheses", token)
            self.position += width
            if tightness == _COMPARISON:
                left = self.comparison(left, op, token)
            else:
                # '**' is right-associative: its right side may hold another '**'
                right = self.expression(tightness if op == "**" else tightness + 1)
                left = Binary(op, left, right, token.offset)
            previous = op
        if self.current.kind == NAME and self.current.text in _UNSUPPORTED:
            raise self.unexpected()
        if precedence == 0:
            left = self.conditional(left)
        self.depth -= 1
        return left

    def comparison(self, left: Node, op: str, token: Token) -> Node:
        operands, ops = [left], []
        while True:
            ops.append(op)
            operands.append(self.expression(_COMPARISON + 1))
            found = self.binary_op()
            if found is None or _BINARY[found[0]] != _COMPARISON:
                break
            op = found[0]
            self.position += found[1]
        if len(ops) == 1:
            return Binary(ops[0], operands[0], operands[1], token.offset)
        return Chain(tuple(operands), tuple(ops), token.offset)

    def conditional(self, test: Node) -> Node:
        while self.at("?"):
            token = self.advance()
            then = self.expression(0)
            self.expect(":")
            otherwise = self.expression(0)
            test = Conditional(test, then, otherwise, token.offset)
        return test

    def operand(self) -> Node:
        token = self.current
        if (token.kind == OP and token.text in ("-", "+", "!")) or (token.kind == NAME and token.text == "not"):
            self.position += 1
            op = _ALIASES.get(token.text, token.text)
            return Unary(op, self.expression(_UNARY[op]), token.offset)
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.current
        if token.kind in (NUMBER, STRING):
            self.position += 1
            return Constant(token.value, token.offset)
        if token.kind == NAME and token.text not in _RESERVED:
            self.position += 1
            if token.text in ("true", "false"):
                return Constant(token.text == "true", token.offset)
            if token.text == "nil":
                return Constant(None, token.offset)
            if self.at("("):
                return self.call(token)
            return Variable(token.text, token.offset)
        if self.at("("):
            self.position += 1
            inner = self.expression(0)
            self.expect(")")
            return inner
        if self.at("["):
            self.position += 1
            items: list[Node] = []
            while not self.at("]"):
                items.append(self.expression(0))
                if not self.at(","):
                    break
                self.position += 1  # a comma, trailing or not
            self.expect("]")
            return Array(tuple(items), token.offset)
        if self.at("#"):
            if not self.closures:
                raise self.error("'#' is only meaningful inside a predicate, as in all(result, {# < 0.5})", token)
            self.position += 1
            return Element(token.offset)
        raise self.unexpected()

    def call(self, name: Token) -> Call:
        signature = FUNCTIONS.get(name.text)
        if signature is None:
            raise self.error(f"unknown function {name.text!r}", name)
        self.position += 1  # the '('
        arguments: list[Node | Closure] = []
        while not self.at(")"):
            if signature.closure and len(arguments) == 1:
                arguments.append(self.closure())
            else:
                arguments.append(self.expression(0))
            if not self.at(","):
                break
            self.position += 1  # a comma, trailing or not
        self.expect(")")
        if len(arguments) < signature.least or (signature.most is not None and len(arguments) > signature.most):
            raise self.error(f"{signature.describe(name.text)}, got {len(arguments)}", name)
        return Call(name.text, tuple(arguments), name.offset)

    def closure(self) -> Closure:
        token = self.current
        braced = self.at("{")  # optional, as in expr-lang: all(result, # < 0.5)
        if braced:
            self.position += 1
        self.closures += 1
        body = self.expression(0)
        self.closures -= 1
        if braced:
            self.expect("}")
        return Closure(body, token.offset)

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.current
            if self.at("["):
                self.position += 1
                if self.at(":"):
                    raise self.error("slicing is not supported", self.current)
                index = self.expression(0)
                if self.at(":"):
                    raise self.error("slicing is not supported", self.current)
                self.expect("]")
                node = Index(node, index, token.offset)
            elif self.at(".") or self.at("?."):
                raise self.unexpected()
            else:
                return node
