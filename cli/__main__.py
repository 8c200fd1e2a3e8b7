"""`python -m weldctl.cli`."""

from . import main

main()
