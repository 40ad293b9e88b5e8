"""Safe evaluation of amount expressions over model parameters.

Amounts in a model may be written as arithmetic over ``parameters``, e.g.
``capacity_kwh * 5.03 * 0.71``. They are parsed with :mod:`ast` and walked by a whitelist
evaluator — never passed to :func:`eval` — so a model file cannot run code.

Allowed: numbers, parameter names, ``+ - * / // % **``, unary ``+ -``, parentheses, and
the functions ``min``, ``max``, ``abs``, ``round``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping

from ..errors import ExpressionError

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS = {"min": min, "max": max, "abs": abs, "round": round}


def names_in(expression: str) -> set[str]:
    """Parameter names an expression refers to (functions excluded).

    Raises
    ------
    ExpressionError
        The expression is not valid syntax.
    """
    tree = _parse(expression)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called


def _parse(expression: str) -> ast.Expression:
    try:
        return ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {expression!r}: {exc.msg}") from None


def evaluate(expression: str | int | float, parameters: Mapping[str, float]) -> float:
    """Evaluate an amount expression.

    Parameters
    ----------
    expression : str, int or float
        A number, or arithmetic over parameter names, e.g. ``"capacity_kwh * 5.03"``.
    parameters : mapping of str to float
        Parameter values [in the units the model states for them].

    Returns
    -------
    float
        The value. Finite.

    Raises
    ------
    ExpressionError
        Syntax error, unknown parameter (the message lists the known ones), a construct
        outside the whitelist (attribute access, calls other than min/max/abs/round,
        subscripts, strings, ...), division by zero, or a non-finite result.
    """
    if isinstance(expression, bool):
        raise ExpressionError(f"expected a number or an expression, got {expression!r}")
    if isinstance(expression, (int, float)):
        value = float(expression)
    else:
        value = _eval(_parse(str(expression)).body, parameters, str(expression))
    if not math.isfinite(value):
        raise ExpressionError(f"expression {expression!r} does not give a finite number ({value})")
    return value


def _eval(node: ast.AST, params: Mapping[str, float], src: str) -> float:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"in {src!r}: only numbers are allowed, not {node.value!r}")
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in params:
            known = ", ".join(sorted(params)) or "none"
            raise ExpressionError(f"in {src!r}: unknown parameter {node.id!r} (known parameters: {known})")
        return float(params[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, params, src), _eval(node.right, params, src)
        try:
            return float(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ExpressionError(f"in {src!r}: division by zero") from None
        except OverflowError:
            raise ExpressionError(f"in {src!r}: number too large") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return float(_UNARY[type(node.op)](_eval(node.operand, params, src)))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
        and node.args
    ):
        return float(_FUNCTIONS[node.func.id](*(_eval(a, params, src) for a in node.args)))
    raise ExpressionError(
        f"in {src!r}: {type(node).__name__} is not allowed; use numbers, parameter names, "
        "+ - * / ** ( ) and min/max/abs/round"
    )
