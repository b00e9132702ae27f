"""``python -m governance``."""

from governance.cli import main

if __name__ == "__main__":
    main()
