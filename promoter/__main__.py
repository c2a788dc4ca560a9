"""`python -m promoter` runs the command line."""

from promoter.cli import main

if __name__ == "__main__":
    main.main()
