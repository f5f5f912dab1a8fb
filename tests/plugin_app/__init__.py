"""A third-party app adding a ``notes`` artifact and its backup/restore subcommands."""
