"""``python -m routewatch``: the same entry point as the ``routewatch`` console script."""

from routewatch.cli.main import main

if __name__ == "__main__":
    main()
