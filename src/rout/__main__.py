"""`python -m rout`: the `rout` command."""

from rout.cli import main

main()
