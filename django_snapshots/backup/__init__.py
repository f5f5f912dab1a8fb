"""The backup app: adds ``snapshots backup`` and its artifact subcommands."""
