"""django-typer plugins: the ``backup`` group of the ``snapshots`` command."""
