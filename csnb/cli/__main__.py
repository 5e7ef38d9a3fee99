"""``python -m csnb.cli``: the same as the ``csnb`` command."""

from csnb.cli import main

main()
