"""Safe evaluation of amount expressions over model parameters.

Amounts in a model may be written as arithmetic over ``parameters``, e.g.
``capacity_kwh * 5.03 * 0.71``. They are parsed with :mod:`ast` and walked by a whitelist
evaluator — never passed to :func:`eval` — so a model file cannot run code.

Allowed: numbers, parameter names, ``+ - * / // % **``, unary ``+ -``, parentheses, and
the functions ``min``, ``max``, ``abs``, ``round``.

Parameters may also be :class:`pcf.model.variants.Variants` arrays (one value per batch
variant); the expression is then evaluated elementwise with numpy (``min``/``max`` as
``numpy.minimum``/``numpy.maximum``) and a row that is not finite is marked diverged instead
of raising.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping

import numpy as np

from ..core.errors import ExpressionError
from .variants import Variants, finite, is_variants

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
_ARRAY_FUNCTIONS = {
    "min": lambda *args: Variants(np.minimum.reduce(np.broadcast_arrays(*args))),
    "max": lambda *args: Variants(np.maximum.reduce(np.broadcast_arrays(*args))),
    "abs": lambda x: Variants(np.abs(x)),
    "round": lambda x, ndigits=0: Variants(np.round(x, int(ndigits))),
}


def _number(value):
    """A float, or the array of variant values unchanged."""
    return value if is_variants(value) else float(value)


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

        Values may be :class:`~pcf.model.variants.Variants` arrays (batch variants).

    Returns
    -------
    float or Variants
        The value. Finite (rows of an array that are not are marked diverged).

    Raises
    ------
    ExpressionError
        Syntax error, unknown parameter (the message lists the known ones), a construct
        outside the whitelist (attribute access, calls other than min/max/abs/round,
        subscripts, strings, ...), division by zero, or a non-finite result.
    """
    if isinstance(expression, bool):
        raise ExpressionError(f"expected a number or an expression, got {expression!r}")
    if is_variants(expression):  # an amount the loader computed for every variant
        value = expression
    elif isinstance(expression, (int, float)):
        value = float(expression)
    else:
        value = _eval(_parse(str(expression)).body, parameters, str(expression))
    return finite(value, lambda v: ExpressionError(f"expression {expression!r} does not give a finite number ({v})"))


def _eval(node: ast.AST, params: Mapping[str, float], src: str) -> float:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"in {src!r}: only numbers are allowed, not {node.value!r}")
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in params:
            known = ", ".join(sorted(params)) or "none"
            raise ExpressionError(f"in {src!r}: unknown parameter {node.id!r} (known parameters: {known})")
        return _number(params[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, params, src), _eval(node.right, params, src)
        try:
            return _number(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ExpressionError(f"in {src!r}: division by zero") from None
        except OverflowError:
            raise ExpressionError(f"in {src!r}: number too large") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _number(_UNARY[type(node.op)](_eval(node.operand, params, src)))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
        and node.args
    ):
        args = [_eval(a, params, src) for a in node.args]
        if any(is_variants(a) for a in args):
            return _ARRAY_FUNCTIONS[node.func.id](*args)
        return float(_FUNCTIONS[node.func.id](*args))
    raise ExpressionError(
        f"in {src!r}: {type(node).__name__} is not allowed; use numbers, parameter names, "
        "+ - * / ** ( ) and min/max/abs/round"
    )
