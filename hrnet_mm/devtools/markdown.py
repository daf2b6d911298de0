"""The Markdown tables the developer tools generate (README config table, docs/fidelity.md,
docs/benchmarks.md, reproduction results).

Our own rather than ``tabulate(..., tablefmt='github')``: tabulate pads every cell to its
column's width, which would rewrite every generated table the README and docs hold; these
are the compact ``| a | b |`` rows they use.
"""
from typing import Callable, Iterable, Sequence


def escape(text) -> str:
    """A cell's text with ``|`` escaped and newlines folded (one table row per line)."""
    return str(text).replace('|', '\\|').replace('\n', ' ')


def markdown_table(header: Sequence[str], rows: Iterable[Sequence], cell: Callable = str) -> str:
    """``| h1 | h2 |`` / ``|---|---|`` / one ``| c1 | c2 |`` line per row (no final newline);
    ``cell`` formats each cell (e.g. :func:`escape`)."""
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join('---' for _ in header) + '|']
    lines += ['| ' + ' | '.join(cell(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)
