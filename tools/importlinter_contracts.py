"""import-linter contract types of this repository (registered in pyproject.toml).

``public_imports``: the rules of ``tools/import_rules.py`` (across packages, only exported
modules and names, and no importlib route), so ``lint-imports`` checks them with the layering.
"""

from __future__ import annotations

from importlinter import Contract, ContractCheck, output

from . import import_rules  # tools/ is a namespace package on lint-imports' path (the cwd)


class PublicImportsContract(Contract):
    """Across packages, import only what the other package exports (see import_rules.py)."""

    type_name = "public_imports"

    def check(self, graph, verbose: bool) -> ContractCheck:
        violations = import_rules.check()
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(str(violation), bold=False)
            output.new_line()
