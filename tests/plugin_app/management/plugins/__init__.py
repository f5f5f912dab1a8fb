"""django-typer plugins of the notes app: one module per extended command."""
