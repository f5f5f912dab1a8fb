
import sys, django
django.setup()
from django_snapshots import engine
if sys.argv[1] == "backup":
    engine.create_snapshot("bench", overwrite=True)
else:
    engine.restore_snapshot("bench")
