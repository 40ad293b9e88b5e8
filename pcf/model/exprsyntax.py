"""The syntax of amount expressions, without evaluating them: their names and their bounded parse.

:mod:`pcf.model.expressions` evaluates them (with numpy, for batch variants); a PCR file names
parameters in its declared-unit expression (:mod:`pcf.pcr.loader`), which only needs the names,
so reading a PCR loads no numpy (``pcf issue`` reads one in every process it starts).
"""

from __future__ import annotations

import ast

from ..core.errors import ExpressionError

#: Longest expression read [characters] (a model's longest is under 100).
MAX_LENGTH = 1000
#: Deepest syntax tree (each operator, call or unary sign is one level; ``a + b + c`` is 3).
MAX_DEPTH = 100


def shown(src: str) -> str:
    """An expression as messages quote it: its repr, cut to 80 characters."""
    return repr(src if len(src) <= 80 else src[:77] + "...")


def names_in(expression: str) -> set[str]:
    """Parameter names an expression refers to (functions excluded).

    Raises
    ------
    ExpressionError
        The expression is not valid syntax, or is too long or too deep.
    """
    tree = parse_expression(expression)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called


def parse_expression(expression: str) -> ast.Expression:
    """The syntax tree of an expression, bounded in length and depth."""
    text = expression.strip()
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression {shown(text)} has {len(text):,} characters; at most "
                              f"{MAX_LENGTH:,} are read (use parameters)")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {shown(text)}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"cannot parse expression {shown(text)}: too complex") from None
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression {shown(text)} is nested more than {MAX_DEPTH} levels deep "
                                  "(a long chain of signs or terms); use parameters")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return tree
