"""Type stub of the compiled C++ module (``src/cpp/module.cpp``), for type checkers only."""

from typing import Any

def __getattr__(name: str) -> Any: ...
