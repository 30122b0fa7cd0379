"""Compile-time policy: RestrictedPython's transformer, tightened.

On top of RestrictedPython (no names or attributes starting with ``_``, guarded
attribute/item/iteration access), this refuses imports, classes, ``global``/``nonlocal``,
generators, ``await``, ``with``, bare ``except:`` and ``except BaseException``, and routes
through run-time guards everything that can build a huge value or go through one in C:
arithmetic and set operators (``+ * ** << % | & ^``; decimals and floats mix), comparisons
(``==`` and ``in`` walk containers), f-string fields, ``*x``/``**x`` unpacking, and the keys
of set and dict displays (hashing a tuple goes through all of it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TypeVar, cast

from RestrictedPython.transformer import RestrictingNodeTransformer

_N = TypeVar("_N", bound=ast.AST)
# A node whose body gets a tick at its top.
_Looped = TypeVar("_Looped", ast.While, ast.For, ast.FunctionDef)
# What a visit_ method of RestrictedPython returns.
_Visited = ast.AST | Iterable[ast.AST] | None

GUARDED_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.Mod: "%",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}
# A set or dict display with more keys than this is built by a guard, in slices, its keys
# checked for shared hashes (the source can list thousands of crafted integers).
LONG_DISPLAY = 64
COMPARISONS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


def _tick() -> ast.Call:
    return ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[])


def _call(guard: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(guard, ast.Load()), args=list(args), keywords=[])


def _thunk(body: ast.expr) -> ast.Lambda:
    arguments = ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], defaults=[]
    )
    return ast.Lambda(args=arguments, body=body)


def _placed(new: _N, old: ast.AST) -> _N:
    return ast.fix_missing_locations(ast.copy_location(new, old))


class SandboxPolicy(RestrictingNodeTransformer):
    def _refuse(self, node: ast.AST, what: str) -> None:
        self.error(node, f"{what} are not allowed in rules.")

    # ---- budget ticks: one step per loop iteration, comprehension item and call ----------
    def _tick_body(self, node: _Looped) -> _Looped:
        node.body.insert(0, ast.copy_location(ast.Expr(_tick()), node))
        return ast.fix_missing_locations(node)

    def visit_While(self, node: ast.While) -> ast.While:
        return self._tick_body(cast(ast.While, super().visit_While(node)))

    def visit_For(self, node: ast.For) -> ast.For:
        return self._tick_body(cast(ast.For, super().visit_For(node)))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        return self._tick_body(cast(ast.FunctionDef, super().visit_FunctionDef(node)))

    def visit_comprehension(self, node: ast.comprehension) -> ast.comprehension:
        node = cast(ast.comprehension, super().visit_comprehension(node))
        node.ifs.append(ast.copy_location(_tick(), node.iter))
        return ast.fix_missing_locations(node)

    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        node.body = ast.BoolOp(op=ast.And(), values=[_tick(), node.body])
        return ast.fix_missing_locations(node)

    def visit_Import(self, node: ast.Import) -> None:
        self._refuse(node, "imports")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._refuse(node, "imports")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._refuse(node, "class definitions")

    def visit_Global(self, node: ast.Global) -> None:
        self._refuse(node, "global statements")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self._refuse(node, "nonlocal statements")

    def visit_Yield(self, node: ast.Yield) -> None:
        self._refuse(node, "generators (yield)")

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self._refuse(node, "generators (yield)")

    def visit_Await(self, node: ast.Await) -> None:
        self._refuse(node, "await expressions")

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._refuse(node, "async functions")

    def visit_With(self, node: ast.With) -> None:
        self._refuse(node, "with statements")

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> _Visited:
        if node.type is None:
            self.error(node, "A bare 'except:' is not allowed; name the exception.")
        elif isinstance(node.type, ast.Name) and node.type.id == "BaseException":
            self.error(node, "'except BaseException' is not allowed.")
        return super().visit_ExceptHandler(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = cast(ast.BinOp, super().visit_BinOp(node))
        symbol = GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        return _placed(_call("_binop_", ast.Constant(symbol), node.left, node.right), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = cast(ast.FormattedValue, super().visit_FormattedValue(node))
        # f"{value!r:>{width}}" -> f"{_format_(value, 114, f'>{width}')}": every field, so
        # that the text of a huge value is sized before it is written
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        guarded = _call("_format_", node.value, ast.Constant(node.conversion), spec)
        replacement = ast.FormattedValue(value=guarded, conversion=-1, format_spec=None)
        return _placed(replacement, node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        node = cast(ast.Compare, super().visit_Compare(node))
        symbols = [COMPARISONS[type(op)] for op in node.ops]
        if len(symbols) == 1:
            if symbols[0] in ("is", "is not"):
                return node  # identity never goes through a value
            call = _call("_compare_", ast.Constant(symbols[0]), node.left, node.comparators[0])
            return _placed(call, node)
        # a < b <= c: the right sides become thunks so each is evaluated once, and only
        # when reached; an assignment inside one would bind in the thunk instead.
        if any(isinstance(n, ast.NamedExpr) for c in node.comparators for n in ast.walk(c)):
            self.error(node, "Assignment expressions in chained comparisons are not allowed.")
            return node
        names = ast.Tuple([ast.Constant(symbol) for symbol in symbols], ast.Load())
        call = _call("_compare_chain_", node.left, names, *map(_thunk, node.comparators))
        return _placed(call, node)

    # ---- unpacking and keys: copies and hashes that happen inside CPython -----------------
    def visit_Starred(self, node: ast.Starred) -> ast.Starred:
        node = cast(ast.Starred, super().visit_Starred(node))
        if isinstance(node.ctx, ast.Load):
            node.value = _placed(_call("_star_", node.value), node.value)
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.keyword:
        node = cast(ast.keyword, super().visit_keyword(node))
        if node.arg is None:  # f(**mapping)
            node.value = _placed(_call("_star_", node.value), node.value)
        return node

    def visit_Set(self, node: ast.Set) -> ast.AST:
        node = cast(ast.Set, super().visit_Set(node))
        node.elts = [self._key(element) for element in node.elts]
        if len(node.elts) > LONG_DISPLAY and not any(isinstance(e, ast.Starred) for e in node.elts):
            return _placed(_call("_set_", ast.Tuple(node.elts, ast.Load())), node)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        node = cast(ast.Dict, super().visit_Dict(node))
        for index, key in enumerate(node.keys):
            if key is None:  # {**mapping}
                node.values[index] = _placed(_call("_star_", node.values[index]), node)
            else:
                node.keys[index] = self._key(key)
        if len(node.keys) > LONG_DISPLAY and None not in node.keys:
            # keys and values in their order of evaluation: k1, v1, k2, v2...
            flat = [item for pair in zip(node.keys, node.values, strict=True) for item in pair]
            keys = cast("list[ast.expr]", flat)  # no None: no {**mapping} among them
            return _placed(_call("_dict_", ast.Tuple(keys, ast.Load())), node)
        return node

    def visit_SetComp(self, node: ast.SetComp) -> ast.SetComp:
        node = cast(ast.SetComp, super().visit_SetComp(node))
        node.elt = self._key(node.elt)
        return node

    def visit_DictComp(self, node: ast.DictComp) -> ast.DictComp:
        node = cast(ast.DictComp, super().visit_DictComp(node))
        node.key = self._key(node.key)
        return node

    @staticmethod
    def _key(node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Starred):  # {*items}: every element is hashed
            cast(ast.Call, node.value).args.append(_placed(ast.Constant(True), node))
            return node
        return _placed(_call("_key_", node), node)
