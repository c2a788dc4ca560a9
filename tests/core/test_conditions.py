"""Argo Rollouts' analysis conditions (expr-lang): the forms people write, expr-lang's precedence and numbers,
every refusal with its place, and properties: parsing and evaluating fail only in the module's own errors."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promoter.core import conditions
from promoter.core.conditions import ConditionError, EvaluationError, evaluate, evaluator, names, parse, value
from promoter.core.conditions.language import (
    Array,
    Binary,
    Call,
    Chain,
    Closure,
    Condition,
    Conditional,
    Constant,
    Element,
    Index,
    Node,
    Unary,
    Value,
    Variable,
)

NAN, INF = math.nan, math.inf


def holds(text: str, **variables: Value) -> bool:
    return evaluate(parse(text), variables)


def same(got: Value, want: Value) -> bool:
    """Equal and of the same type (1 is not 1.0 here), NaN equal to NaN."""
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and all(map(same, got, want))
    return type(got) is type(want) and got == want


# --- the forms people write ------------------------------------------------------------------------------------

WRITTEN = [
    pytest.param("result[0] >= 0.95", {"result": (0.97,)}, True, id="success-rate"),
    pytest.param("result[0] >= 0.95", {"result": (0.9,)}, False, id="success-rate-low"),
    pytest.param("result >= 0.95", {"result": 0.96}, True, id="a-scalar-result"),
    pytest.param("len(result) == 0", {"result": ()}, True, id="empty-vector"),
    pytest.param("len(result) == 0 || result[0] >= 0.95", {"result": ()}, True, id="empty-or-good-short-circuits"),
    pytest.param("len(result) == 0 || result[0] >= 0.95", {"result": (0.5,)}, False, id="empty-or-good-bad"),
    pytest.param("len(result) > 0 && result[0] < 0.05", {"result": ()}, False, id="and-short-circuits"),
    pytest.param("len(result) > 0 and result[0] < 0.05", {"result": (0.01,)}, True, id="and-word"),
    pytest.param("result[0] > 1 or result[0] < 0", {"result": (0.5,)}, False, id="or-word"),
    pytest.param("all(result, {# < 0.5})", {"result": (0.1, 0.4)}, True, id="all"),
    pytest.param("all(result, {# < 0.5})", {"result": (0.1, 0.6)}, False, id="all-one-bad"),
    pytest.param("all(result, {# < 0.5})", {"result": ()}, True, id="all-of-nothing"),
    pytest.param("all(result, # < 0.5)", {"result": (0.1,)}, True, id="all-without-braces"),
    pytest.param("any(result, {# > 0.9})", {"result": (0.1, 0.95)}, True, id="any"),
    pytest.param("any(result, {# > 0.9})", {"result": ()}, False, id="any-of-nothing"),
    pytest.param("none(result, {# > 0.9})", {"result": (0.1, 0.2)}, True, id="none"),
    pytest.param("none(result, {# > 0.9})", {"result": (0.1, 0.95)}, False, id="none-one-bad"),
    pytest.param("one(result, {# > 0.9})", {"result": (0.1, 0.95)}, True, id="one"),
    pytest.param("one(result, {# > 0.9})", {"result": (0.91, 0.95)}, False, id="one-but-two"),
    pytest.param("count(result, {# > 0.9}) >= 2", {"result": (0.91, 0.95, 0.1)}, True, id="count"),
    pytest.param("len(filter(result, {# > 0.9})) == 1", {"result": (0.91, 0.5)}, True, id="filter"),
    pytest.param("all(map(result, {# * 100}), {# >= 90})", {"result": (0.91, 0.95)}, True, id="map"),
    pytest.param("isNaN(result[0])", {"result": (NAN,)}, True, id="isNaN"),
    pytest.param("!isNaN(result[0]) && result[0] > 0.9", {"result": (NAN,)}, False, id="not-isNaN"),
    pytest.param("isInf(result)", {"result": INF}, True, id="isInf"),
    pytest.param("isInf(result[0])", {"result": (-INF,)}, True, id="isInf-negative"),
    pytest.param("isNil(result)", {"result": None}, True, id="isNil"),
    pytest.param("default(result[0], 0) >= 0.9", {"result": ()}, False, id="default-of-empty"),
    pytest.param("default(result[0], 1) >= 0.9", {"result": ()}, True, id="default-of-empty-fallback"),
    pytest.param("default(result[0], 0) >= 0.9", {"result": (0.95,)}, True, id="default-of-present"),
    pytest.param("default(result, 0) >= 0.9", {"result": None}, False, id="default-of-nil"),
    pytest.param("default(result[0] * 100, 0) > 50", {"result": ()}, False, id="default-of-an-expression"),
    pytest.param("result[0] <= baseline[0] + 0.01", {"result": (0.105,), "baseline": (0.1,)}, True, id="baseline"),
    pytest.param("result[0] <= baseline[0] + 0.01", {"result": (0.2,), "baseline": (0.1,)}, False, id="baseline-bad"),
    pytest.param("result[0] / baseline[0] < 1.2", {"result": (0.11,), "baseline": (0.1,)}, True, id="ratio"),
    pytest.param("result[0] / baseline[0] < 1.2", {"result": (0.11,), "baseline": (0.0,)}, False, id="ratio-by-zero"),
    pytest.param("result[-1] > 0.5", {"result": (0.1, 0.9)}, True, id="negative-index"),
    pytest.param("asInt(result) == 3", {"result": "3"}, True, id="asInt-of-string"),
    pytest.param("asFloat(result) > 0.5", {"result": "0.75"}, True, id="asFloat-of-string"),
    pytest.param("result[0] < 100 ? result[0] > 10 : false", {"result": (50.0,)}, True, id="ternary"),
    pytest.param("'canary' in pods", {"pods": ("stable", "canary")}, True, id="in-array"),
    pytest.param("'ok' not in status", {"status": "not okay"}, False, id="not-in-string"),
    pytest.param("0.9 <= result[0] <= 1", {"result": (0.95,)}, True, id="a-chained-comparison"),
    pytest.param("(result ?? 0) > 0.5", {"result": None}, False, id="nil-coalescing"),
    pytest.param(
        """// success: every pod under 5% errors
        all(result, {
            # < 0.05   /* a fraction */
        })""",
        {"result": (0.01, 0.02)},
        True,
        id="comments-and-newlines",
    ),
]


@pytest.mark.parametrize(("text", "variables", "expected"), WRITTEN)
def test_the_forms_people_write(text: str, variables: dict[str, Value], expected: bool) -> None:
    assert evaluate(parse(text), variables) is expected


# --- values: literals, arithmetic, precedence, functions -------------------------------------------------------

VALUES = [
    # literals
    pytest.param("42", 42, id="int"),
    pytest.param("0.5", 0.5, id="float"),
    pytest.param(".5", 0.5, id="leading-dot"),
    pytest.param("1.", 1.0, id="trailing-dot"),
    pytest.param("1e-3", 0.001, id="exponent"),
    pytest.param("2.5E+2", 250.0, id="exponent-sign"),
    pytest.param("1_000_000", 1_000_000, id="underscores"),
    pytest.param("0x1F", 31, id="hex"),
    pytest.param("0o17", 15, id="octal"),
    pytest.param("0b101", 5, id="binary"),
    pytest.param("007", 7, id="leading-zeros-are-decimal"),
    pytest.param("9223372036854775807", 2**63 - 1, id="int64-max"),
    pytest.param("'single'", "single", id="single-quoted"),
    pytest.param('"double"', "double", id="double-quoted"),
    pytest.param("`raw \\n`", "raw \\n", id="raw-string"),
    pytest.param(r'"\a\b\f\n\r\t\v\\\'\"\`\?"', "\a\b\f\n\r\t\v\\'\"`?", id="escapes"),
    pytest.param(r'"\x41\u00e9\U0001F600\101"', "Aé😀A", id="code-escapes"),
    pytest.param(r'"\ud800"', "\ufffd", id="a-lone-surrogate-is-replaced"),
    pytest.param('"a\r\nb\rc"', "a\nb\nc", id="newlines-normalized"),
    pytest.param("true", True, id="true"),
    pytest.param("false", False, id="false"),
    pytest.param("nil", None, id="nil"),
    pytest.param("[1, 'a', [true]]", (1, "a", (True,)), id="array"),
    pytest.param("[]", (), id="empty-array"),
    pytest.param("[1, 2,]", (1, 2), id="trailing-comma"),
    # arithmetic: ints are int64, / and ** are floats
    pytest.param("1 + 2", 3, id="int-plus"),
    pytest.param("1 + 2.0", 3.0, id="mixed-plus"),
    pytest.param("5 - 7", -2, id="minus"),
    pytest.param("1.5 - 1", 0.5, id="float-minus"),
    pytest.param("3 * 4", 12, id="times"),
    pytest.param("3 * 0.5", 1.5, id="float-times"),
    pytest.param("7 / 2", 3.5, id="divide-is-float"),
    pytest.param("4 / 2", 2.0, id="divide-exact-is-float"),
    pytest.param("7 % 3", 1, id="modulo"),
    pytest.param("-7 % 3", -1, id="modulo-sign-of-dividend"),
    pytest.param("7 % -3", 1, id="modulo-negative-divisor"),
    pytest.param("2 ** 10", 1024.0, id="power-is-float"),
    pytest.param("2 ^ 3", 8.0, id="caret"),
    pytest.param("'a' + 'b'", "ab", id="concatenation"),
    pytest.param("9223372036854775807 + 1", -(2**63), id="int64-wraps"),
    pytest.param("-(-9223372036854775807 - 1)", -(2**63), id="negation-wraps"),
    pytest.param("+3", 3, id="unary-plus"),
    pytest.param("-2.5", -2.5, id="float-negation"),
    # precedence and associativity, as expr-lang
    pytest.param("1 + 2 * 3", 7, id="times-before-plus"),
    pytest.param("(1 + 2) * 3", 9, id="parentheses"),
    pytest.param("10 - 4 - 3", 3, id="minus-left-assoc"),
    pytest.param("2 ** 3 ** 2", 512.0, id="power-right-assoc"),
    pytest.param("2 * 3 ** 2", 18.0, id="power-before-times"),
    pytest.param("-2 ** 2", -4.0, id="unary-minus-after-power"),
    pytest.param("(-2) ** 2", 4.0, id="parenthesized-negative-base"),
    pytest.param("-3 * 2", -6, id="unary-minus-before-times"),
    pytest.param("not true == false", True, id="not-before-equals"),
    pytest.param("!true || true", True, id="not-before-or"),
    pytest.param("not (1 == 2)", True, id="not-of-a-comparison"),
    pytest.param("true || false && false", True, id="and-before-or"),
    pytest.param("1 + 1 == 2", True, id="plus-before-equals"),
    pytest.param("1 < 2 == true", False, id="comparisons-chain-not-nest"),
    pytest.param("3 > 2 > 1", True, id="chain-descending"),
    pytest.param("1 < 3 < 2", False, id="chain-fails-late"),
    pytest.param("2 < 1 < 3", False, id="chain-fails-early"),
    pytest.param("1 in [1, 2] == true", False, id="in-chains-too"),
    pytest.param("true ? 1 : 2", 1, id="ternary"),
    pytest.param("false ? 1 : 2", 2, id="ternary-else"),
    pytest.param("false ? 1 : true ? 2 : 3", 2, id="ternary-right-assoc"),
    pytest.param("1 > 2 || true ? 'y' : 'n'", "y", id="ternary-lowest"),
    pytest.param("nil ?? 3", 3, id="coalesce"),
    pytest.param("4 ?? 3", 4, id="coalesce-present"),
    pytest.param("nil ?? nil ?? 5", 5, id="coalesce-chain"),
    pytest.param("1 + (nil ?? 2)", 3, id="coalesce-in-parentheses"),
    pytest.param("[[1, 2], [3]][0][-1]", 2, id="nested-index"),
    pytest.param("'abc'[1]", "b", id="string-index"),
    # comparisons and membership
    pytest.param("1 == 1.0", True, id="int-equals-float"),
    pytest.param("1 == '1'", False, id="no-coercion"),
    pytest.param("true == 1", False, id="bool-is-not-a-number"),
    pytest.param("nil == nil", True, id="nil-equals-nil"),
    pytest.param("[1, [2]] == [1.0, [2]]", True, id="arrays-equal"),
    pytest.param("[1, 2] == [1]", False, id="arrays-of-other-length"),
    pytest.param("[1, 2] != [1, 3]", True, id="arrays-differ"),
    pytest.param("'a' < 'b'", True, id="strings-order"),
    pytest.param("'b' >= 'a'", True, id="strings-order-ge"),
    pytest.param("2 in [1.0, 2.0]", True, id="in-by-value"),
    pytest.param("3 not in [1, 2]", True, id="not-in"),
    pytest.param("'bc' in 'abcd'", True, id="substring"),
    # functions
    pytest.param("len([1, 2, 3])", 3, id="len-array"),
    pytest.param("len('héllo')", 5, id="len-string"),
    pytest.param("abs(-3)", 3, id="abs-int"),
    pytest.param("abs(-2.5)", 2.5, id="abs-float"),
    pytest.param("floor(2.7)", 2.0, id="floor"),
    pytest.param("floor(-2.5)", -3.0, id="floor-negative"),
    pytest.param("floor(3)", 3.0, id="floor-int-is-float"),
    pytest.param("ceil(2.1)", 3.0, id="ceil"),
    pytest.param("ceil(1e300)", 1e300, id="ceil-huge"),
    pytest.param("round(2.5)", 3.0, id="round-half-away"),
    pytest.param("round(-2.5)", -3.0, id="round-half-away-negative"),
    pytest.param("round(2.4)", 2.0, id="round-down"),
    pytest.param("round(0.49999999999999994)", 0.0, id="round-just-below-half"),
    pytest.param("round(-0.4)", -0.0, id="round-keeps-sign"),
    pytest.param("round(7)", 7.0, id="round-int"),
    pytest.param("int(3.9)", 3, id="int-truncates"),
    pytest.param("int(-3.9)", -3, id="int-truncates-negative"),
    pytest.param("int('-42')", -42, id="int-of-string"),
    pytest.param("asInt(7)", 7, id="asInt-of-int"),
    pytest.param("float(2)", 2.0, id="float-of-int"),
    pytest.param("asFloat('1e3')", 1000.0, id="asFloat-exponent"),
    pytest.param("asFloat('-Inf')", -INF, id="asFloat-inf"),
    pytest.param("asFloat('NaN')", NAN, id="asFloat-nan"),
    pytest.param("sum([1, 2, 3])", 6, id="sum-ints"),
    pytest.param("sum([1, 2.5])", 3.5, id="sum-mixed"),
    pytest.param("sum([])", 0, id="sum-empty"),
    pytest.param("sum([1, 2], {# * 10})", 30, id="sum-mapped"),
    pytest.param("count([true, false, true])", 2, id="count-booleans"),
    pytest.param("min(3, 1, 2)", 1, id="min-of-arguments"),
    pytest.param("min([3, 1.5], 2)", 1.5, id="min-flattens"),
    pytest.param("max([[1], [5, 2]])", 5, id="max-nested"),
    pytest.param("min([])", None, id="min-of-nothing-is-nil"),
    pytest.param("default(max([]), 0)", 0, id="default-of-max-of-nothing"),
    pytest.param("max([1, nan], 0)", NAN, id="max-with-nan-is-nan"),
    pytest.param("mean([1, 2, 4])", 7 / 3, id="mean"),
    pytest.param("mean([])", 0.0, id="mean-of-nothing"),
    pytest.param("median([3, 1, 2])", 2.0, id="median-odd"),
    pytest.param("median([4, 1, 3, 2])", 2.5, id="median-even"),
    pytest.param("median([])", 0.0, id="median-of-nothing"),
    pytest.param("first([1, 2])", 1, id="first"),
    pytest.param("last([1, 2])", 2, id="last"),
    pytest.param("first([])", None, id="first-of-nothing"),
    pytest.param("last(nil)", None, id="last-of-nil"),
    pytest.param("filter([1, 2, 3], {# != 2})", (1, 3), id="filter-values"),
    pytest.param("map([1, 2], {[#, # * 2]})", ((1, 2), (2, 4)), id="map-values"),
    pytest.param("map([[1, 2]], {all(#, {# > 0})})", (True,), id="nested-closures-see-their-own-element"),
    pytest.param("isNaN(1)", False, id="isNaN-of-int"),
    pytest.param("isInf(1.0)", False, id="isInf-of-finite"),
]


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_values(text: str, expected: Value) -> None:
    got = value(parse(text), {"nan": NAN})
    assert same(got, expected), got


# --- NaN and infinities as Go's float64 ------------------------------------------------------------------------

FLOATS = [
    pytest.param("x == x", NAN, False, id="nan-not-equal-to-itself"),
    pytest.param("x != x", NAN, True, id="nan-differs-from-itself"),
    pytest.param("x < 1", NAN, False, id="nan-not-less"),
    pytest.param("x >= 1", NAN, False, id="nan-not-greater-or-equal"),
    pytest.param("x > 0 || x <= 0", NAN, False, id="nan-neither-side"),
    pytest.param("[x] == [x]", NAN, False, id="nan-in-arrays"),
    pytest.param("x in [x]", NAN, False, id="nan-not-in"),
    pytest.param("x > 1e308", INF, True, id="inf-is-large"),
    pytest.param("-x < -1e308", INF, True, id="minus-inf"),
    pytest.param("isNaN(x - x)", INF, True, id="inf-minus-inf"),
    pytest.param("isNaN(x * 0)", INF, True, id="inf-times-zero"),
    pytest.param("x + 1 == x", INF, True, id="inf-absorbs"),
    pytest.param("1 / x == 0", INF, True, id="one-over-inf"),
    pytest.param("isInf(x, 1)", INF, True, id="isInf-positive-sign"),
    pytest.param("isInf(x, -1)", INF, False, id="isInf-wrong-sign"),
    pytest.param("isInf(-x, -1)", INF, True, id="isInf-negative-sign"),
    pytest.param("isInf(-x, 1)", INF, False, id="isInf-negative-wrong-sign"),
    pytest.param("isInf(x, 0) && isInf(-x, 0)", INF, True, id="isInf-either-sign"),
    pytest.param("floor(x) == x", INF, True, id="floor-of-inf"),
    pytest.param("isNaN(ceil(x))", NAN, True, id="ceil-of-nan"),
    pytest.param("isNaN(round(x))", NAN, True, id="round-of-nan"),
    pytest.param("abs(-x) == x", INF, True, id="abs-of-inf"),
    pytest.param("isNaN(median([1, x]))", NAN, True, id="median-with-nan"),
    pytest.param("isNaN(mean([x, -x]))", INF, True, id="mean-of-inf-and-minus-inf"),
]


@pytest.mark.parametrize(("text", "x", "expected"), FLOATS)
def test_nan_and_infinities_behave_as_in_go(text: str, x: float, expected: bool) -> None:
    assert holds(text, x=x) is expected


DIVISIONS = [
    pytest.param("1 / 0", INF, id="by-zero"),
    pytest.param("-1 / 0", -INF, id="negative-by-zero"),
    pytest.param("1 / -0.0", -INF, id="by-negative-zero"),
    pytest.param("0 / 0", NAN, id="zero-by-zero"),
    pytest.param("nan / 0", NAN, id="nan-by-zero"),
    pytest.param("10 ** 400", INF, id="power-overflows-to-inf"),
    pytest.param("(-10) ** 401", -INF, id="odd-power-of-negative-overflows-to-minus-inf"),
    pytest.param("(-10) ** 400", INF, id="even-power-of-negative-overflows-to-inf"),
    pytest.param("2 ** 1e300", INF, id="huge-exponent-returns-at-once"),
    pytest.param("(-8) ** (1 / 3)", NAN, id="fractional-power-of-negative"),
    pytest.param("0 ** -1", INF, id="zero-to-a-negative-power"),
    pytest.param("(-0.0) ** -1", -INF, id="negative-zero-to-an-odd-negative-power"),
    pytest.param("(-0.0) ** -2", INF, id="negative-zero-to-an-even-negative-power"),
    pytest.param("2 ** -1", 0.5, id="negative-power"),
]


@pytest.mark.parametrize(("text", "expected"), DIVISIONS)
def test_division_and_power_follow_go_float64(text: str, expected: float) -> None:
    assert same(value(parse(text), {"nan": NAN}), expected)


# --- the tree: precedence, spacing, names ----------------------------------------------------------------------

EQUIVALENT = [
    pytest.param("a + b * c", "a + (b * c)", id="times"),
    pytest.param("a - b - c", "(a - b) - c", id="left-assoc"),
    pytest.param("a ** b ** c", "a ** (b ** c)", id="power-right-assoc"),
    pytest.param("a ^ b", "a ** b", id="caret-is-power"),
    pytest.param("-a ** b", "-(a ** b)", id="minus-after-power"),
    pytest.param("-a * b", "(-a) * b", id="minus-before-times"),
    pytest.param("not a * b", "not (a * b)", id="not-after-times"),
    pytest.param("not a + b", "(not a) + b", id="not-before-plus"),
    pytest.param("!a == b", "(!a) == b", id="bang-before-equals"),
    pytest.param("!a", "not a", id="bang-is-not"),
    pytest.param("a || b && c", "a or (b and c)", id="and-before-or"),
    pytest.param("a && b", "a and b", id="ampersands"),
    pytest.param("a == b || c < d", "(a == b) || (c < d)", id="comparisons-before-or"),
    pytest.param("a + b < c * d", "(a + b) < (c * d)", id="arithmetic-before-comparisons"),
    pytest.param("a ?? b ?? c", "(a ?? b) ?? c", id="coalesce-left-assoc"),
    pytest.param("-a ?? b", "-(a ?? b)", id="coalesce-before-minus"),
    pytest.param("a * b ?? c", "a * (b ?? c)", id="coalesce-in-a-right-operand"),
    pytest.param("a ? b : c ? d : e", "a ? b : (c ? d : e)", id="ternary-right-assoc"),
    pytest.param("a or b ? c : d", "(a or b) ? c : d", id="ternary-lowest"),
    pytest.param("a[0][1]", "(a[0])[1]", id="index-left-assoc"),
    pytest.param("-a[0]", "-(a[0])", id="index-before-minus"),
    pytest.param("a not in b or c", "(a not in b) or c", id="not-in-is-a-comparison"),
]


@pytest.mark.parametrize(("text", "parenthesized"), EQUIVALENT)
def test_precedence_matches_expr_lang(text: str, parenthesized: str) -> None:
    assert parse(text).tree == parse(parenthesized).tree


def test_trees_ignore_spacing_and_comments_but_keep_offsets() -> None:
    tight, loose = parse("result[0]>=0.95"), parse("  result [ 0 ]\n  >=  /* x */ 0.95 // done")
    assert tight.tree == loose.tree and tight != loose  # the text differs
    assert isinstance(tight.tree, Binary) and isinstance(loose.tree, Binary)
    assert (tight.tree.offset, loose.tree.offset) == (9, 17)


def test_the_tree_is_frozen_and_built_of_the_module_nodes() -> None:
    condition = parse("all(result, {# < 0.5}) ? [1][0] : -x")
    assert condition.tree == Conditional(
        Call("all", (Variable("result", 4), Closure(Binary("<", Element(13), Constant(0.5, 17), 15), 12)), 0),
        Index(Array((Constant(1, 26),), 25), Constant(0, 29), 28),
        Unary("-", Variable("x", 35), 34),
        23,
    )
    with pytest.raises(AttributeError):
        condition.tree.offset = 3  # type: ignore[misc]
    assert parse("a not in b").tree == Binary("not in", Variable("a", 0), Variable("b", 9), 2)  # one operator
    chain = parse("0 < x <= 1").tree
    assert chain == Chain((Constant(0, 0), Variable("x", 4), Constant(1, 9)), ("<", "<="), 2)


NAMES = [
    pytest.param("result[0] >= 0.95", {"result"}, id="result"),
    pytest.param("result[0] <= baseline[0] * 1.1", {"result", "baseline"}, id="baseline"),
    pytest.param("all(result, {# < limit})", {"result", "limit"}, id="in-a-closure"),
    pytest.param("len(x) > 0 ? y : z ?? w", {"x", "y", "z", "w"}, id="everywhere"),
    pytest.param("[1, -2][0] > 0 && true", set(), id="none"),
    pytest.param("0 < a < b", {"a", "b"}, id="chain"),
]


@pytest.mark.parametrize(("text", "expected"), NAMES)
def test_names_are_the_variables_read_not_the_functions(text: str, expected: set[str]) -> None:
    assert names(parse(text)) == expected


# --- refusals while parsing, with their place ------------------------------------------------------------------

REFUSED = [
    pytest.param("", 0, "empty condition", id="empty"),
    pytest.param("  // only a comment", 19, "empty condition", id="only-a-comment"),
    pytest.param("(1", 2, "expected ')'", id="unclosed-parenthesis"),
    pytest.param("[1, 2", 5, "expected ']'", id="unclosed-array"),
    pytest.param("[1 2]", 3, "expected ']'", id="array-without-comma"),
    pytest.param("len(1 2)", 6, "expected ')'", id="call-without-comma"),
    pytest.param("all(result, {# > 0)", 18, "expected '}'", id="unclosed-closure"),
    pytest.param("true ? 1", 8, "expected ':'", id="ternary-without-else"),
    pytest.param("1 +", 3, "unexpected end of condition", id="dangling-operator"),
    pytest.param("1 2", 2, "unexpected '2'", id="trailing-garbage"),
    pytest.param("result[0] >= 0.95 )", 18, "unexpected ')'", id="trailing-parenthesis"),
    pytest.param("* 2", 0, "unexpected '*'", id="leading-operator"),
    pytest.param("a and", 5, "unexpected end of condition", id="dangling-and"),
    pytest.param("or", 0, "unexpected 'or'", id="an-operator-word-alone"),
    pytest.param("a not b", 2, "unexpected 'not' (did you mean 'not in'?)", id="not-without-in"),
    pytest.param("foo(1)", 0, "unknown function 'foo'", id="unknown-function"),
    pytest.param("1 + eval('x')", 4, "unknown function 'eval'", id="no-eval"),
    pytest.param("len()", 0, "len() takes 1 argument, got 0", id="too-few-arguments"),
    pytest.param("len(1, 2)", 0, "len() takes 1 argument, got 2", id="too-many-arguments"),
    pytest.param("all(result)", 0, "all() takes 2 arguments, got 1", id="predicate-missing"),
    pytest.param("isInf(1, 2, 3)", 0, "isInf() takes 1 or 2 arguments, got 3", id="isInf-arity"),
    pytest.param("max()", 0, "max() takes at least 1 argument, got 0", id="max-arity"),
    pytest.param("# > 0", 0, "'#' is only meaningful inside a predicate", id="element-outside-a-closure"),
    pytest.param("all(#, {# > 0})", 4, "'#' is only meaningful inside a predicate", id="element-in-the-array"),
    pytest.param("all(x, {#index > 0})", 8, "'#index' is not supported", id="named-element"),
    pytest.param("len({# > 0})", 4, "maps are not supported", id="closure-where-none-belongs"),
    pytest.param("{a: 1}", 0, "maps are not supported", id="map-literal"),
    pytest.param("a.b", 1, "member access ('.') is not supported", id="member-access"),
    pytest.param("a?.b", 1, "optional chaining ('?.') is not supported", id="optional-chaining"),
    pytest.param("1..3", 1, "ranges ('..') are not supported", id="range"),
    pytest.param("x | len()", 2, "the pipe operator ('|') is not supported", id="pipe"),
    pytest.param("a = 1", 2, "unexpected '=' (did you mean '=='?)", id="single-equals"),
    pytest.param("x[1:2]", 3, "slicing is not supported", id="slice"),
    pytest.param("x[:2]", 2, "slicing is not supported", id="slice-from-start"),
    pytest.param("a matches 'b'", 2, "'matches' is not supported", id="matches"),
    pytest.param("s contains 'b'", 2, "'contains' is not supported", id="contains"),
    pytest.param("let x = 1; x", 0, "'let' is not supported", id="let"),
    pytest.param("1 ?? 2 + 3", 7, "'??' and '+' cannot be mixed without parentheses", id="coalesce-mixed"),
    pytest.param("1 @ 2", 2, "unexpected character '@'", id="unknown-character"),
    pytest.param("'abc", 0, "unterminated string", id="unterminated-string"),
    pytest.param('"abc\\', 0, "unterminated string", id="unterminated-after-backslash"),
    pytest.param("`abc", 0, "unterminated string", id="unterminated-raw-string"),
    pytest.param("1 /* note", 2, "unclosed comment", id="unclosed-comment"),
    pytest.param(r"'\q'", 1, r"invalid escape '\q'", id="unknown-escape"),
    pytest.param(r"'\x4'", 1, r"invalid escape '\x4''", id="short-hex-escape"),
    pytest.param(r"'\xzz'", 1, r"invalid escape '\xzz'", id="bad-hex-escape"),
    pytest.param(r"'\U00110000'", 1, r"invalid escape '\U00110000'", id="past-unicode"),
    pytest.param(r"'\19'", 1, r"invalid escape '\19''", id="bad-octal-escape"),
    pytest.param(r"'\1", 1, r"invalid escape '\1'", id="short-octal-escape"),
    pytest.param("5m", 0, "invalid number '5m'", id="a-duration-is-not-a-number"),
    pytest.param("0x1g", 0, "invalid number '0x1g'", id="bad-hex"),
    pytest.param("0x", 0, "invalid number '0x'", id="empty-hex"),
    pytest.param("1e", 0, "invalid number '1e'", id="empty-exponent"),
    pytest.param("1e+", 0, "invalid number '1e+'", id="signed-empty-exponent"),
    pytest.param("9223372036854775808", 0, "is too large", id="past-int64"),
    pytest.param("1" * 30, 0, "is too large", id="many-digits"),
    pytest.param("1e999", 0, "is too large", id="past-float64"),
    pytest.param("1 +\n  (2", 8, "expected ')'", id="on-a-second-line"),
]


@pytest.mark.parametrize(("text", "offset", "message"), REFUSED)
def test_refusals_say_where(text: str, offset: int, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert caught.value.offset == offset
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_the_message_reads_col_or_line_and_col() -> None:
    with pytest.raises(ConditionError, match=r"^col 12: expected '\)'$"):
        parse("len(result ")
    with pytest.raises(ConditionError, match=r"^line 2, col 5: expected '\)'$") as caught:
        parse("len(\n  x y)")
    assert caught.value.offset == 9
    assert str(ConditionError("bare", 4)) == "col 5: bare"


def test_limits_on_length_and_depth() -> None:
    longest = "1" + " " * (conditions.MAX_LENGTH - 1)
    assert value(parse(longest), {}) == 1
    with pytest.raises(ConditionError, match="at most 10000 characters") as caught:
        parse(longest + " ")
    assert caught.value.offset == conditions.MAX_LENGTH
    depth = conditions.MAX_DEPTH
    assert value(parse("(" * (depth - 1) + "1" + ")" * (depth - 1)), {}) == 1
    for deep in (
        "(" * 200 + "1" + ")" * 200,
        "-" * 200 + "1",
        "[" * 200 + "]" * 200,
        "abs(" * 200 + "1" + ")" * 200,
        "1" + " + 1" * 200,  # a flat loop in the parser, a deep tree all the same
        "all(x, {" * 60 + "true" + "})" * 60,
    ):
        with pytest.raises(ConditionError, match="too deeply nested"):
            parse(deep)


# --- refusals while evaluating ---------------------------------------------------------------------------------

FAILURES = [
    pytest.param("missing > 1", {}, "unknown name 'missing'", id="unknown-variable"),
    pytest.param("result[0] > 0.5", {"result": ()}, "index 0 out of range (length 0)", id="index-past-empty"),
    pytest.param("result[-3]", {"result": (1.0, 2.0)}, "index -3 out of range", id="negative-index-past-start"),
    pytest.param("result[0]", {"result": None}, "cannot index nil", id="index-nil"),
    pytest.param("result[0]", {"result": 0.5}, "cannot index float 0.5", id="index-a-scalar"),
    pytest.param("result[0.0]", {"result": (1.0,)}, "an index is an int, not float", id="float-index"),
    pytest.param("result[true]", {"result": (1.0,)}, "an index is an int, not bool", id="bool-index"),
    pytest.param("result < 0.5", {"result": (0.1,)}, "invalid operation: array < float", id="compare-a-vector"),
    pytest.param("1 + true", {}, "invalid operation: int + bool", id="bool-arithmetic"),
    pytest.param("'a' - 'b'", {}, "invalid operation: string - string", id="string-minus"),
    pytest.param("'a' < 1", {}, "invalid operation: string < int", id="string-vs-number"),
    pytest.param("nil > 0", {}, "invalid operation: nil > int", id="nil-comparison"),
    pytest.param("1.5 % 1", {}, "% is for ints", id="float-modulo"),
    pytest.param("1 % 0", {}, "integer divide by zero", id="modulo-by-zero"),
    pytest.param("-'a'", {}, "invalid operation: - string", id="negate-a-string"),
    pytest.param("+nil", {}, "invalid operation: + nil", id="plus-nil"),
    pytest.param("not 1", {}, "invalid operation: not int", id="not-a-number"),
    pytest.param("1 && true", {}, "expected true or false, got int 1", id="and-of-a-number"),
    pytest.param("false || 'yes'", {}, "expected true or false, got string 'yes'", id="or-of-a-string"),
    pytest.param("1 ? 2 : 3", {}, "expected true or false, got int 1", id="ternary-of-a-number"),
    pytest.param("1 in 'abc'", {}, "invalid operation: int in string", id="number-in-string"),
    pytest.param("1 in nil", {}, "invalid operation: int in nil", id="in-nil"),
    pytest.param("all(result, {# > 0})", {"result": 0.5}, "all() needs an array, got float 0.5", id="all-of-a-scalar"),
    pytest.param("any([1], {#})", {}, "a predicate must be true or false, got int 1", id="predicate-not-boolean"),
    pytest.param("count([1])", {}, "count() without a predicate counts booleans", id="count-of-numbers"),
    pytest.param("sum(['a'])", {}, "sum() adds numbers, got string 'a'", id="sum-of-strings"),
    pytest.param("len(1)", {}, "len() takes an array or a string, got int", id="len-of-a-number"),
    pytest.param("len(nil)", {}, "len() takes an array or a string, got nil", id="len-of-nil"),
    pytest.param("first(1)", {}, "first() takes an array, got int", id="first-of-a-number"),
    pytest.param("abs('x')", {}, "abs() takes a number, got string 'x'", id="abs-of-a-string"),
    pytest.param("isNaN(result)", {"result": (1.0,)}, "isNaN() takes a number, got array", id="isNaN-of-a-vector"),
    pytest.param("isInf(1.0, 'x')", {}, "isInf() takes a number, got string", id="isInf-sign"),
    pytest.param("max(1, 'a')", {}, "max() takes numbers, got string 'a'", id="max-of-a-string"),
    pytest.param("int(x)", {"x": NAN}, "int() cannot convert NaN to an int", id="int-of-nan"),
    pytest.param("asInt(x)", {"x": INF}, "asInt() cannot convert +Inf", id="asInt-of-inf"),
    pytest.param("asInt(1e19)", {}, "cannot convert 1e+19 to an int", id="asInt-past-int64"),
    pytest.param("asInt('1.5')", {}, "cannot convert string '1.5' to an int", id="asInt-of-a-float-string"),
    pytest.param("asInt('99999999999999999999')", {}, "to an int", id="asInt-of-a-long-string"),
    pytest.param("asInt(true)", {}, "cannot convert bool true to an int", id="asInt-of-a-bool"),
    pytest.param("asFloat('abc')", {}, "cannot convert string 'abc' to a float", id="asFloat-of-text"),
    pytest.param("asFloat('1e999')", {}, "cannot convert string '1e999'", id="asFloat-out-of-range"),
    pytest.param("float(nil)", {}, "float() cannot convert nil", id="float-of-nil"),
    pytest.param("default(missing, 0)", {}, "unknown name 'missing'", id="default-does-not-hide-a-typo"),
    pytest.param("default(1 + true, 0)", {}, "invalid operation", id="default-does-not-hide-a-type-error"),
    pytest.param("result[5] ?? 0", {"result": ()}, "out of range", id="coalesce-does-not-catch-an-index"),
    pytest.param("result > 0", {"result": [1.0]}, "'result' holds a list", id="a-list-is-not-a-vector"),
    pytest.param(
        "result > 0", {"result": (1, (2**70,))}, "'result' holds 1180591620717411303424, past int64", id="big-int"
    ),
    pytest.param("result > 0", {"result": {"a": 1}}, "'result' holds a dict", id="a-dict"),
    pytest.param("0.5", {}, "a condition must be true or false, this one is float 0.5", id="not-a-boolean"),
    pytest.param("result", {"result": (True,)}, "this one is array [true]", id="a-vector-is-not-a-boolean"),
    pytest.param(
        "x", {"x": ((((1.0,),),), 2, 3, 4, 5, 6)}, "array [[[[...]]], 2, 3, 4, 5, ...]", id="deep-values-are-cut"
    ),
    pytest.param("x", {"x": ("a" * 50,)}, "this one is array ['" + "a" * 35 + "...", id="long-values-are-cut"),
]


@pytest.mark.parametrize(("text", "variables", "message"), FAILURES)
def test_evaluation_errors(text: str, variables: dict[str, object], message: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate(parse(text), variables)  # type: ignore[arg-type]  # some hold what a caller should not pass
    assert message in caught.value.message
    assert str(caught.value).startswith("col ")


def test_evaluation_errors_point_at_the_operation() -> None:
    with pytest.raises(EvaluationError, match=r"^col 26: index 0 out of range") as caught:
        evaluate(parse("len(result) > 0 || result[0] > 1"), {"result": ()})
    assert caught.value.offset == 25
    with pytest.raises(EvaluationError, match=r"^line 2, col 3: unknown name 'x'"):
        evaluate(parse("true &&\n  x"), {})


def test_a_deeply_nested_variable_is_refused() -> None:
    nested: Value = 1.0
    for _ in range(conditions.MAX_DEPTH + 1):
        nested = (nested,)
    with pytest.raises(EvaluationError, match="'result' is nested too deeply"):
        evaluate(parse("result == result"), {"result": nested})


def test_a_variable_is_checked_once_however_often_it_is_read() -> None:
    vector = tuple(float(n) for n in range(200))
    assert holds("all(result, {# <= max(result)})", result=vector)


def test_evaluation_has_a_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluator, "MAX_STEPS", 1000)
    x = tuple(range(20))
    assert len(value(parse("map(x, {#})"), {"x": x})) == 20  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match="evaluation took more than 1000 steps"):
        value(parse("map(x, {map(x, {map(x, {#})})})"), {"x": x})


def test_default_leaves_the_closure_stack_as_it_found_it() -> None:
    # the failure inside the closure is caught by default(); the outer closure's '#' must still be its own
    assert value(parse("map([1, 2], {default(all([[]], {#[0] > 0}), #)})"), {}) == (1, 2)


# --- properties ------------------------------------------------------------------------------------------------

TOKENS = [
    *("result", "baseline", "x", "#", "(", ")", "[", "]", "{", "}", ",", "?", ":", ".", "?.", "..", "|"),
    *("0", "1", "2", "0.5", ".5", "1e-3", "1e999", "0x1F", "9223372036854775807", "'a'", '"b\\n"', "`r`", "'"),
    *("true", "false", "nil", "and", "or", "not", "in", "&&", "||", "!", "==", "!=", "<", "<=", ">", ">="),
    *("+", "-", "*", "/", "%", "**", "^", "??", "=", "@", "\\", "/*", "*/", "//", "\n", "matches", "let"),
    *sorted(conditions.FUNCTIONS),
]
soups = st.builds(
    lambda parts, glue: glue.join(parts), st.lists(st.sampled_from(TOKENS), max_size=25), st.sampled_from(" ")
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), soups))
def test_parsing_fails_only_in_condition_errors(text: str) -> None:
    try:
        condition = parse(text)
    except ConditionError as refused:
        assert 0 <= refused.offset <= len(text)
        return
    assert condition.text == text
    assert parse(text).tree == condition.tree  # the same text, the same tree


# Random trees, and the text that must parse back to each: every operand parenthesized, any spacing, either spelling.
LEAVES: st.SearchStrategy[Node] = st.one_of(
    st.integers(0, 2**63 - 1).map(lambda n: Constant(n, 0)),
    st.floats(0, 1e300).map(abs).map(lambda f: Constant(f, 0)),  # abs: "-0.0" would read as a minus
    st.sampled_from(["result", "baseline", "x", "limit"]).map(lambda name: Variable(name, 0)),
    st.sampled_from([True, False, None]).map(lambda word: Constant(word, 0)),
    st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=4).map(lambda s: Constant(s, 0)),
)
OPERATORS = ["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-", "*", "/", "%", "**", "??"]
SYMBOLS = {"or": "||", "and": "&&", "**": "^", "not": "!"}
PLAIN = sorted(name for name, signature in conditions.FUNCTIONS.items() if not signature.closure)
PREDICATES = sorted(name for name, signature in conditions.FUNCTIONS.items() if signature.closure)


def plain_call(name: str, arguments: list[Node]) -> Call:
    signature = conditions.FUNCTIONS[name]
    most = signature.most or signature.least + 2
    return Call(name, tuple((arguments * most)[: max(signature.least, min(len(arguments), most))]), 0)


def extended(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(Binary, st.sampled_from(OPERATORS), children, children, st.just(0)),
        st.builds(Unary, st.sampled_from(["-", "+", "not"]), children, st.just(0)),
        st.builds(Conditional, children, children, children, st.just(0)),
        st.builds(Index, children, children, st.just(0)),
        st.builds(Array, st.lists(children, max_size=3).map(tuple), st.just(0)),
        st.builds(plain_call, st.sampled_from(PLAIN), st.lists(children, min_size=1, max_size=3)),
        st.builds(predicate, st.sampled_from(PREDICATES), children, BODIES),
    )


def predicate(name: str, items: Node, body: Node) -> Call:
    return Call(name, (items, Closure(body, 0)), 0)


# Predicate bodies: '#' is a leaf there. A small grammar of their own keeps generation fast; the tables nest closures.
BODIES = st.recursive(
    st.one_of(LEAVES, st.just(Element(0))),
    lambda children: st.builds(Binary, st.sampled_from(OPERATORS), children, children, st.just(0)),
    max_leaves=4,
)
TREES = st.recursive(LEAVES, extended, max_leaves=8)
GLUE = st.sampled_from([" ", "", "\n", "\t", " /* c */ ", " // c\n"])


def render(node: Node | Closure, glue: str, symbols: bool) -> str:
    """The text of a tree; ``symbols`` writes ``||``, ``&&``, ``^``, ``!`` and unbraced predicates."""
    g = glue

    def text(child: Node | Closure) -> str:
        return render(child, glue, symbols)

    match node:
        case Constant(value=bool() as word):
            return "true" if word else "false"
        case Constant(value=None):
            return "nil"
        case Constant(value=str() as string):
            return json.dumps(string)  # its escapes are Go's too
        case Constant(value=number):
            return repr(number)
        case Variable(name=name):
            return name
        case Element():
            return "#"
        case Array(items=items):
            return f"[{g}{f',{g}'.join(map(text, items))}{g}]"
        case Unary(op=op, operand=operand):
            return f"{SYMBOLS.get(op, op) if symbols else op}{g}({text(operand)})"
        case Binary(op=op, left=left, right=right):
            spelled = SYMBOLS.get(op, op) if symbols else op
            return f"({g}{text(left)}{g}){g} {spelled} {g}({g}{text(right)}{g})"
        case Conditional(test=test, then=then, otherwise=otherwise):
            return f"({text(test)}){g}?{g}({text(then)}){g}:{g}({text(otherwise)})"
        case Index(target=target, index=index):
            return f"({text(target)}){g}[{g}{text(index)}{g}]"
        case Call(function=function, arguments=arguments):
            return f"{function}({g}{f',{g}'.join(map(text, arguments))}{g})"
        case Closure(body=body):
            return text(body) if symbols else f"{{{g}{text(body)}{g}}}"
    raise AssertionError(node)  # Chain: the generator makes none


def parsed(text: str) -> Condition | None:
    """The rendered tree's condition, or None when the generator nested past the limit (rare)."""
    try:
        return parse(text)
    except ConditionError as refused:
        assert refused.message == "too deeply nested"
        return None


@settings(max_examples=200, deadline=None)
@given(TREES, GLUE, st.booleans())
def test_generated_expressions_parse_to_their_trees(tree: Node, glue: str, symbols: bool) -> None:
    condition = parsed(render(tree, glue, symbols))
    assert condition is None or condition.tree == tree


scalars = st.one_of(
    st.floats(),  # NaN and infinities included
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)
vectors = st.lists(st.floats(), max_size=4).map(tuple)
values = st.one_of(scalars, vectors, st.lists(st.one_of(scalars, vectors), max_size=3).map(tuple))
environments = st.fixed_dictionaries({"result": values, "baseline": values, "x": values, "limit": values})


@settings(max_examples=200, deadline=None)
@given(st.one_of(TREES.map(lambda tree: render(tree, " ", symbols=False)), soups), environments)
def test_evaluating_fails_only_in_evaluation_errors(text: str, variables: dict[str, Value]) -> None:
    """Generated conditions and the token soups that happen to parse, on any values of the variables."""
    try:
        condition = parse(text)
    except ConditionError:
        return  # a soup that does not parse (or a tree nested past the limit)
    for run in (value, evaluate):
        try:
            run(condition, variables)
        except EvaluationError as failed:
            assert 0 <= failed.offset <= len(text)
