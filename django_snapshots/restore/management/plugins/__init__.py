"""django-typer plugins: the ``restore`` group of the ``snapshots`` command."""
