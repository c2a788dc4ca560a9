"""The tree-walking evaluator of conditions, with Go's numbers (int64 that wraps, float64 division)."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard, assert_never

from promoter.core.conditions.language import (
    FUNCTIONS,
    INT64_MAX,
    INT64_MIN,
    MAX_DEPTH,
    MAX_STEPS,
    Array,
    Binary,
    Call,
    Chain,
    Closure,
    Condition,
    Conditional,
    Constant,
    Element,
    EvaluationError,
    Index,
    Missing,
    Node,
    Unary,
    Value,
    Variable,
)


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int to Python, never a number to expr-lang
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _wrap(number: int) -> int:
    """Go's int64 arithmetic: overflow wraps around (and keeps every int convertible to a float)."""
    return (number - INT64_MIN) % 2**64 + INT64_MIN


def _kind(value: Value) -> str:
    match value:
        case None:
            return "nil"
        case bool():
            return "bool"
        case int():
            return "int"
        case float():
            return "float"
        case str():
            return "string"
        case _:
            return "array"


def _render(value: Value, depth: int = 0) -> str:
    """A value as the language writes it, for messages (a few levels and elements only)."""
    match value:
        case None:
            return "nil"
        case bool():
            return "true" if value else "false"
        case float() if not math.isfinite(value):
            return "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
        case tuple() if depth >= 3:
            return "[...]"
        case tuple():
            items = [_render(item, depth + 1) for item in value[:5]]
            return f"[{', '.join(items)}{', ...' if len(value) > 5 else ''}]"
        case _:
            return repr(value)


def _described(value: Value) -> str:
    """``float 0.5``, ``array [1, 2]``, ``nil``: a value and its kind, shortened (a vector can be long)."""
    shown = _render(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return "nil" if value is None else f"{_kind(value)} {shown}"


def _divide(a: float, b: float) -> float:
    """Go's float64 division: by zero it is ±Inf, or NaN for 0/0."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _odd_integer(number: float) -> bool:
    return math.isfinite(number) and number == math.floor(number) and math.fmod(number, 2) != 0


def _power(base: float, exponent: float) -> float:
    """Go's math.Pow: where Python raises (overflow, domain) Go answers ±Inf or NaN."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and _odd_integer(exponent) else math.inf
    except ValueError:  # 0 to a negative power, or a negative base to a fractional power
        if base == 0:
            return math.copysign(math.inf, base) if _odd_integer(exponent) else math.inf
        return math.nan


def _round(number: float) -> float:
    """Go's math.Round: half away from zero (Python's round is half to even)."""
    if not math.isfinite(number):
        return number
    whole = math.trunc(number)
    if abs(number - whole) >= 0.5:
        whole += 1 if number > 0 else -1
    return math.copysign(float(whole), number)


def _equal(a: Value, b: Value) -> bool:
    """expr-lang's ==: numbers by value (NaN equals nothing), arrays element by element, else same type and value."""
    pairs = [(a, b)]
    while pairs:  # a loop, not recursion: arrays nest
        x, y = pairs.pop()
        if _is_number(x) and _is_number(y):
            if x != y:
                return False
        elif isinstance(x, tuple) and isinstance(y, tuple):
            if len(x) != len(y):
                return False
            pairs.extend(zip(x, y, strict=True))
        elif type(x) is not type(y) or x != y:
            return False
    return True


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity)|nan", re.IGNORECASE)


def value(condition: Condition, variables: Mapping[str, Value]) -> Value:
    """The condition's value with these variables (``result``, ``baseline``, ...)."""
    return _Evaluator(condition.text, variables).eval(condition.tree)


def evaluate(condition: Condition, variables: Mapping[str, Value]) -> bool:
    """Whether the condition holds; a condition whose value is not a bool is an :class:`EvaluationError`."""
    result = value(condition, variables)
    if not isinstance(result, bool):
        raise EvaluationError(
            f"a condition must be true or false, this one is {_described(result)}",
            0,
            condition.text,
        )
    return result


class _Evaluator:
    def __init__(self, text: str, variables: Mapping[str, Value]) -> None:
        self.text = text
        self.variables = variables
        self.elements: list[Value] = []  # the closures' current elements, innermost last
        self.steps = 0
        self.checked: set[str] = set()

    def error(self, message: str, node: Node | Closure) -> EvaluationError:
        return EvaluationError(message, node.offset, self.text)

    def eval(self, node: Node) -> Value:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error(f"evaluation took more than {MAX_STEPS} steps", node)
        match node:
            case Constant(value=constant):
                return constant
            case Variable(name=name):
                if name not in self.variables:
                    raise self.error(f"unknown name {name!r}", node)
                if name not in self.checked:
                    self.check(node, self.variables[name])
                    self.checked.add(name)
                return self.variables[name]
            case Element():
                return self.elements[-1]
            case Array(items=items):
                return tuple(self.eval(item) for item in items)
            case Unary():
                return self.unary(node, self.eval(node.operand))
            case Binary(op="and" | "or" as op, left=left, right=right):
                first = self.boolean(left)
                if first is (op == "or"):
                    return first  # short-circuit: the right side is not read
                return self.boolean(right)
            case Binary(op="??", left=left, right=right):
                given = self.eval(left)
                return self.eval(right) if given is None else given
            case Binary(op=op, left=left, right=right):
                return self.binary(node, op, self.eval(left), self.eval(right))
            case Chain(operands=operands, ops=ops):
                a = self.eval(operands[0])
                for op, operand in zip(ops, operands[1:], strict=True):
                    b = self.eval(operand)
                    if not self.binary(node, op, a, b):
                        return False
                    a = b
                return True
            case Conditional(test=test, then=then, otherwise=otherwise):
                return self.eval(then if self.boolean(test) else otherwise)
            case Index(target=target, index=index):
                return self.index(node, self.eval(target), self.eval(index))
            case Call():
                return self.call(node)
            case _:  # pragma: no cover
                assert_never(node)

    def check(self, node: Variable, given: object) -> None:
        """A variable is a value of the language: the caller's lists, big ints or deep nests fail here, cleanly."""
        stack = [(given, 1)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, tuple):
                if depth > MAX_DEPTH:
                    raise self.error(f"{node.name!r} is nested too deeply", node)
                stack.extend((element, depth + 1) for element in item)
            elif _is_int(item) and not INT64_MIN <= item <= INT64_MAX:
                raise self.error(f"{node.name!r} holds {item}, past int64", node)
            elif not (item is None or isinstance(item, (bool, int, float, str))):
                raise self.error(f"{node.name!r} holds a {type(item).__name__}, which a condition cannot read", node)

    def boolean(self, node: Node) -> bool:
        result = self.eval(node)
        if not isinstance(result, bool):
            raise self.error(f"expected true or false, got {_described(result)}", node)
        return result

    def unary(self, node: Unary, operand: Value) -> Value:
        if node.op == "not" and isinstance(operand, bool):
            return not operand
        if node.op == "-" and _is_int(operand):
            return _wrap(-operand)
        if node.op == "-" and _is_number(operand):
            return -operand
        if node.op == "+" and _is_number(operand):
            return operand
        raise self.error(f"invalid operation: {node.op} {_kind(operand)}", node)

    def binary(self, node: Node, op: str, a: Value, b: Value) -> Value:
        if op in ("==", "!="):
            return _equal(a, b) is (op == "==")
        if op in ("in", "not in"):
            return self.contains(node, a, b) is (op == "in")
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if not (_is_number(a) and _is_number(b)):
            if op in _ORDER and isinstance(a, str) and isinstance(b, str):
                return bool(_ORDER[op](a, b))
            raise self.error(f"invalid operation: {_kind(a)} {op} {_kind(b)}", node)
        if op in _ORDER:
            return bool(_ORDER[op](a, b))
        if op == "/":
            return _divide(float(a), float(b))
        if op == "**":
            return _power(float(a), float(b))
        if op == "%":
            if not (_is_int(a) and _is_int(b)):
                raise self.error(f"invalid operation: {_kind(a)} % {_kind(b)} (% is for ints)", node)
            if b == 0:
                raise self.error("integer divide by zero", node)
            remainder = abs(a) % abs(b)  # Go's %: the sign of the dividend
            return -remainder if a < 0 else remainder
        if _is_int(a) and _is_int(b):
            return _wrap(a + b if op == "+" else a - b if op == "-" else a * b)
        return float(a) + float(b) if op == "+" else float(a) - float(b) if op == "-" else float(a) * float(b)

    def contains(self, node: Node, item: Value, container: Value) -> bool:
        if isinstance(container, tuple):
            return any(_equal(item, element) for element in container)
        if isinstance(container, str) and isinstance(item, str):
            return item in container
        raise self.error(f"invalid operation: {_kind(item)} in {_kind(container)}", node)

    def index(self, node: Index, target: Value, index: Value) -> Value:
        if target is None:
            raise Missing(f"cannot index nil with {_render(index)}", node.offset, self.text)
        if not isinstance(target, (tuple, str)):
            raise self.error(f"cannot index {_described(target)}", node)
        if not _is_int(index):
            raise self.error(f"an index is an int, not {_described(index)}", node)
        position = index + len(target) if index < 0 else index  # expr-lang counts negative indexes from the end
        if not 0 <= position < len(target):
            raise Missing(f"index {index} out of range (length {len(target)})", node.offset, self.text)
        return target[position]

    # --- functions

    def call(self, node: Call) -> Value:
        name, arguments = node.function, node.arguments
        if FUNCTIONS[name].closure:
            return self.iterate(node, self.array(node, arguments[0]), arguments[1:])
        expressions = [argument for argument in arguments if not isinstance(argument, Closure)]
        if name == "default":
            try:
                first = self.eval(expressions[0])
            except Missing:  # default(result[0], 0) on an empty result: how people use it
                first = None
            return self.eval(expressions[1]) if first is None else first
        values = [self.eval(argument) for argument in expressions]
        return self.function(node, name, values)

    def array(self, node: Call, argument: Node | Closure) -> tuple[Value, ...]:
        assert not isinstance(argument, Closure)  # the parser puts closures second only
        items = self.eval(argument)
        if not isinstance(items, tuple):
            raise self.error(f"{node.function}() needs an array, got {_described(items)}", node)
        return items

    def apply(self, closure: Closure, item: Value) -> Value:
        self.elements.append(item)
        try:
            return self.eval(closure.body)
        finally:
            self.elements.pop()  # also when default() catches a failure inside the closure

    def test(self, closure: Closure, item: Value) -> bool:
        result = self.apply(closure, item)
        if not isinstance(result, bool):
            raise self.error(f"a predicate must be true or false, got {_described(result)}", closure)
        return result

    def iterate(self, node: Call, items: tuple[Value, ...], rest: tuple[Node | Closure, ...]) -> Value:
        closure = rest[0] if rest else None
        assert closure is None or isinstance(closure, Closure)
        name = node.function
        if name == "sum":
            values = items if closure is None else tuple(self.apply(closure, item) for item in items)
            return self.total(node, values)
        if closure is None:  # count(array) counts the true elements, as count(array, {#})
            return sum(self.truth(node, item) for item in items)
        match name:
            case "all":
                return all(self.test(closure, item) for item in items)
            case "any":
                return any(self.test(closure, item) for item in items)
            case "none":
                return not any(self.test(closure, item) for item in items)
            case "one":
                return [self.test(closure, item) for item in items].count(True) == 1
            case "filter":
                return tuple(item for item in items if self.test(closure, item))
            case "map":
                return tuple(self.apply(closure, item) for item in items)
            case _:
                return sum(self.test(closure, item) for item in items)  # count

    def truth(self, node: Call, item: Value) -> bool:
        if not isinstance(item, bool):
            raise self.error(f"count() without a predicate counts booleans, got {_described(item)}", node)
        return item

    def total(self, node: Call, values: tuple[Value, ...]) -> Value:
        total: int | float = 0
        for item in values:
            if not _is_number(item):
                raise self.error(f"sum() adds numbers, got {_described(item)}", node)
            # Go adds one by one; ints stay int64 until a float joins
            total = _wrap(total + item) if _is_int(total) and _is_int(item) else float(total) + float(item)
        return total

    def numbers(self, node: Call, values: list[Value]) -> list[int | float]:
        """min/max/mean/median take numbers and arrays of them, flattened."""
        flat: list[int | float] = []
        stack = list(reversed(values))
        while stack:
            item = stack.pop()
            if isinstance(item, tuple):
                stack.extend(reversed(item))
            elif _is_number(item):
                flat.append(item)
            else:
                raise self.error(f"{node.function}() takes numbers, got {_described(item)}", node)
        return flat

    def number(self, node: Call, item: Value) -> int | float:
        if not _is_number(item):
            raise self.error(f"{node.function}() takes a number, got {_described(item)}", node)
        return item

    def function(self, node: Call, name: str, values: list[Value]) -> Value:
        match name:
            case "len":
                if not isinstance(values[0], (tuple, str)):
                    raise self.error(f"len() takes an array or a string, got {_kind(values[0])}", node)
                return len(values[0])
            case "isNil":
                return values[0] is None
            case "first" | "last":
                items = values[0]
                if items is None or isinstance(items, tuple):
                    return items[0 if name == "first" else -1] if items else None  # nil when there is none
                raise self.error(f"{name}() takes an array, got {_kind(items)}", node)
            case "asInt" | "int":
                return self.integer(node, values[0])
            case "asFloat" | "float":
                return self.real(node, values[0])
            case "min" | "max" | "mean" | "median":
                return self.aggregate(node, name, self.numbers(node, values))
        number = self.number(node, values[0])
        match name:
            case "abs":
                return _wrap(abs(number)) if _is_int(number) else abs(number)
            case "isNaN":
                return isinstance(number, float) and math.isnan(number)
            case "isInf":
                sign = self.number(node, values[1]) if len(values) > 1 else 0
                infinite = isinstance(number, float) and math.isinf(number)
                return infinite and ((sign >= 0 and number > 0) or (sign <= 0 and number < 0))  # Go's math.IsInf
            case "floor":
                return float(math.floor(number)) if math.isfinite(number) else float(number)
            case "ceil":
                return float(math.ceil(number)) if math.isfinite(number) else float(number)
            case _:
                return _round(float(number))  # round

    def aggregate(self, node: Call, name: str, numbers: list[int | float]) -> Value:
        if any(isinstance(n, float) and math.isnan(n) for n in numbers):
            return math.nan  # NaN in, NaN out (math.Min's rule; expr-lang's answer would depend on the order)
        if name in ("min", "max"):
            if not numbers:
                return None  # expr-lang: min([]) is nil, so default(min(result), 0) works
            return min(numbers) if name == "min" else max(numbers)
        if not numbers:
            return 0.0
        if name == "mean":
            total = 0.0
            for number in numbers:  # one by one, as Go: math.fsum would raise on inf - inf
                total += number
            return total / len(numbers)
        ordered = sorted(numbers)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return float(ordered[middle])
        return (float(ordered[middle - 1]) + float(ordered[middle])) / 2

    def integer(self, node: Call, item: Value) -> int:
        """Argo Rollouts' asInt (and expr-lang's int): truncates a float, parses a string."""
        if _is_int(item):
            return item
        if isinstance(item, float):
            if not math.isfinite(item) or not INT64_MIN <= math.trunc(item) <= INT64_MAX:
                raise self.error(f"{node.function}() cannot convert {_render(item)} to an int", node)
            return math.trunc(item)
        if isinstance(item, str) and _INTEGER.fullmatch(item) and INT64_MIN <= int(item) <= INT64_MAX:
            return int(item)
        raise self.error(f"{node.function}() cannot convert {_described(item)} to an int", node)

    def real(self, node: Call, item: Value) -> float:
        """Argo Rollouts' asFloat (and expr-lang's float): parses a string as Go's ParseFloat does."""
        if _is_number(item):
            return float(item)
        if isinstance(item, str) and _FLOAT.fullmatch(item):
            number = float(item)
            if not math.isinf(number) or "inf" in item.lower():
                return number
        raise self.error(f"{node.function}() cannot convert {_described(item)} to a float", node)
