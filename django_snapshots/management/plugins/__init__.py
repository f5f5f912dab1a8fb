"""django-typer plugins of the core app: one module per extended command."""
