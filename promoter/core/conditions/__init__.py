"""Argo Rollouts' analysis conditions (``successCondition`` / ``failureCondition``), read and judged safely.

Argo Rollouts writes them in expr-lang (github.com/expr-lang/expr). This is the part of that language people
write in conditions: a tokenizer and a recursive-descent (precedence-climbing) parser into a frozen tree, and a
tree-walking evaluator. Nothing here calls ``eval`` or looks attributes up by user-written names.

It follows expr-lang where the two could differ, so a template reads the same here as in Argo Rollouts:

- the precedence table is expr-lang's, quirks included: ``not`` / ``!`` bind tighter than comparisons but
  looser than arithmetic (``not a == b`` is ``(not a) == b``, ``not a * b`` is ``not (a * b)``), and unary
  minus is looser than ``**`` (``-2 ** 2`` is -4);
- comparisons chain (``0 < x <= 1`` is ``0 < x and x <= 1``, ``x`` read once);
- ``??`` is tightest of all and does not mix with other operators without parentheses;
- numbers are Go's: ints are int64 and wrap around, ``/`` and ``**`` are always float64, a float division by
  zero is ±Inf or NaN (not an error), an overflowing ``**`` is ±Inf, NaN compares false with everything;
- a predicate's braces are optional (``all(result, # < 0.5)``), trailing commas are allowed.

Argo Rollouts' own functions are here (``asInt``, ``asFloat``, ``isNaN``, ``isInf``, ``isNil``, ``default``),
with one leniency the way people use it: ``default(result[0], 0)`` is 0 when ``result`` is empty.
"""

from promoter.core.conditions.evaluator import evaluate, value
from promoter.core.conditions.language import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_STEPS,
    Condition,
    ConditionError,
    EvaluationError,
    Value,
    names,
)
from promoter.core.conditions.parser import parse

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_STEPS",
    "Condition",
    "ConditionError",
    "EvaluationError",
    "Value",
    "evaluate",
    "names",
    "parse",
    "value",
]
