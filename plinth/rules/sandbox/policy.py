"""Compile-time policy: RestrictedPython's transformer, tightened.

On top of RestrictedPython (no names or attributes starting with ``_``, guarded
attribute/item/iteration access), this refuses imports, classes, ``global``/``nonlocal``,
generators, ``await``, ``with``, bare ``except:`` and ``except BaseException``, and routes
arithmetic through guards (``+ * ** << %`` can build huge values; decimals and floats mix)
and f-string format specs through size guards.
"""

from __future__ import annotations

import ast

from RestrictedPython.transformer import RestrictingNodeTransformer

GUARDED_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.Mod: "%",
}


def _tick() -> ast.Call:
    return ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[])


class SandboxPolicy(RestrictingNodeTransformer):
    def _refuse(self, node, what: str) -> None:
        self.error(node, f"{what} are not allowed in rules.")

    # ---- budget ticks: one step per loop iteration, comprehension item and call ----------
    def _tick_body(self, node):
        node.body.insert(0, ast.copy_location(ast.Expr(_tick()), node))
        return ast.fix_missing_locations(node)

    def visit_While(self, node):
        return self._tick_body(super().visit_While(node))

    def visit_For(self, node):
        return self._tick_body(super().visit_For(node))

    def visit_FunctionDef(self, node):
        return self._tick_body(super().visit_FunctionDef(node))

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        node.ifs.append(ast.copy_location(_tick(), node.iter))
        return ast.fix_missing_locations(node)

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(op=ast.And(), values=[_tick(), node.body])
        return ast.fix_missing_locations(node)

    def visit_Import(self, node):
        self._refuse(node, "imports")

    def visit_ImportFrom(self, node):
        self._refuse(node, "imports")

    def visit_ClassDef(self, node):
        self._refuse(node, "class definitions")

    def visit_Global(self, node):
        self._refuse(node, "global statements")

    def visit_Nonlocal(self, node):
        self._refuse(node, "nonlocal statements")

    def visit_Yield(self, node):
        self._refuse(node, "generators (yield)")

    def visit_YieldFrom(self, node):
        self._refuse(node, "generators (yield)")

    def visit_Await(self, node):
        self._refuse(node, "await expressions")

    def visit_AsyncFunctionDef(self, node):
        self._refuse(node, "async functions")

    def visit_With(self, node):
        self._refuse(node, "with statements")

    def visit_ExceptHandler(self, node):
        if node.type is None:
            self.error(node, "A bare 'except:' is not allowed; name the exception.")
        elif isinstance(node.type, ast.Name) and node.type.id == "BaseException":
            self.error(node, "'except BaseException' is not allowed.")
        return super().visit_ExceptHandler(node)

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        symbol = GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        if node.format_spec is None:
            return node
        # f"{value!r:>{width}}" -> f"{_format_(value, 'r', f'>{width}')}"
        guarded = ast.Call(
            func=ast.Name("_format_", ast.Load()),
            args=[node.value, ast.Constant(node.conversion), node.format_spec],
            keywords=[],
        )
        replacement = ast.FormattedValue(value=guarded, conversion=-1, format_spec=None)
        return ast.fix_missing_locations(ast.copy_location(replacement, node))
